// A file written under a temporary name beside its destination and renamed
// onto it when complete, so that readers never see half a file.
#pragma once

#include <cstdio>
#include <string>

namespace golois {

// Throws std::runtime_error("<path>: <why>"), the form of every file error.
[[noreturn]] void file_error(const std::string& path, const std::string& why);

// Each TempFile has a name of its own ("<path>.tmp.<random>", created
// exclusively), so two writers of the same path, in one process or several,
// never write into each other's file. A TempFile that is not committed is
// removed when destroyed or discarded. Errors throw std::runtime_error
// naming the file.
class TempFile {
 public:
  TempFile(const std::string& path, const char* mode);  // mode "w" or "wb"
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  std::FILE* get() const { return file_; }  // nullptr once committed or discarded
  const std::string& name() const { return name_; }
  // Closes the file, checking that every byte reached it, and renames it onto
  // the destination; on failure the temporary file is removed and this throws.
  void commit();
  void discard();

 private:
  std::string path_, name_;
  std::FILE* file_ = nullptr;
};

}  // namespace golois
