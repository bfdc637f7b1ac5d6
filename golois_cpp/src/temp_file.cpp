#include "temp_file.h"

#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>

namespace golois {

namespace {

std::string random_suffix() {
  std::random_device device;
  static const char kHex[] = "0123456789abcdef";
  std::string suffix;
  for (int i = 0; i < 4; ++i) {
    unsigned bits = device();
    for (int j = 0; j < 4; ++j, bits >>= 4) suffix += kHex[bits & 15];
  }
  return suffix;
}

}  // namespace

void file_error(const std::string& path, const std::string& why) { throw std::runtime_error(path + ": " + why); }

TempFile::TempFile(const std::string& path, const char* mode) : path_(path) {
  // "x": the open fails rather than share a file another writer created under
  // the same name (16 random hex digits make that all but impossible).
  const std::string exclusive = std::string(mode) + "x";
  for (int attempt = 0; attempt < 10 && !file_; ++attempt) {
    name_ = path + ".tmp." + random_suffix();
    file_ = std::fopen(name_.c_str(), exclusive.c_str());
    if (!file_ && errno != EEXIST) file_error(name_, std::string("cannot open: ") + std::strerror(errno));
  }
  if (!file_) file_error(name_, "cannot create a temporary file");
}

TempFile::~TempFile() { discard(); }

void TempFile::discard() {
  if (!file_) return;
  std::fclose(file_);
  file_ = nullptr;
  std::remove(name_.c_str());
}

void TempFile::commit() {
  if (!file_) throw std::logic_error("temporary file already closed");
  int error = 0;
  if (std::fflush(file_) != 0) {
    error = errno;
  } else if (std::ferror(file_)) {
    error = EIO;  // an earlier buffered write failed; its errno is long gone
  }
  if (std::fclose(file_) != 0 && !error) error = errno;
  file_ = nullptr;
  if (error) {
    std::remove(name_.c_str());
    file_error(name_, std::string("write failed: ") + std::strerror(error));
  }
  if (std::rename(name_.c_str(), path_.c_str()) != 0) {
    error = errno;
    std::remove(name_.c_str());
    file_error(path_, std::string("cannot rename: ") + std::strerror(error));
  }
}

}  // namespace golois
