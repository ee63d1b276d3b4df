// Small text forms shared by the command line, error messages and the HTML reports.
#pragma once

#include <cstdint>
#include <string>

namespace bnnc {

// 1537536 → "1,537,536".
std::string format_count(std::int64_t value);

// `text` safe inside HTML element content and attribute values (<, >, &, ").
std::string html_escape(const std::string& text);

}  // namespace bnnc
