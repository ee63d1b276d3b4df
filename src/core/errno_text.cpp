#include "core/errno_text.h"

#include <cctype>
#include <system_error>

namespace bnnc {

std::string errno_text(int error_number) {
  std::string text = std::generic_category().message(error_number);
  // strerror's phrases start with a capital ("No space left on device"); ours follow a colon.
  // "I/O error" keeps its capital.
  if (text.size() > 1 && std::islower(static_cast<unsigned char>(text[1]))) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

}  // namespace bnnc
