// Quoting untrusted text in error messages.
#pragma once

#include <string>
#include <string_view>

namespace golois {

// At most `max` characters of `text`, with every byte that is not printable
// ASCII shown as '?': error messages stay valid UTF-8 (Python decodes them)
// even when they quote a cut multi-byte character or binary junk.
inline std::string printable(std::string_view text, size_t max) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
  }
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace golois
