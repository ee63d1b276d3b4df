// errno as the lower-case phrase bnnc's one-line messages use ("no space left on device").
#pragma once

#include <string>

namespace bnnc {

std::string errno_text(int error_number);

}  // namespace bnnc
