#include "ir/op.h"

#include <array>
#include <iterator>

namespace bnnc {

namespace {

constexpr int kOpCount = static_cast<int>(Op::Count);
static_assert(std::variant_size_v<OpAttrs> == kOpCount,
              "enum Op and OpAttrs must list the same ops");

struct OpInfo {
  const char* name;
  int arity;
};

constexpr std::array<OpInfo, kOpCount> kOpInfo = {{
    {"input", 0},
    {"quantize", 1},
    {"dense", 1},
    {"conv2d", 1},
    {"batchnorm", 1},
    {"affine", 1},
    {"sign", 1},
    {"threshold", 1},
    {"maxpool", 1},
    {"reshape", 1},
    {"add", 2},
    {"globalsumpool", 1},
    {"labelselect", 1},
}};

static_assert(std::is_same_v<std::variant_alternative_t<static_cast<int>(Op::LabelSelect), OpAttrs>,
                             LabelSelectAttrs>,
              "OpAttrs order must follow enum Op");
static_assert(
    std::is_same_v<std::variant_alternative_t<static_cast<int>(Op::Conv2d), OpAttrs>, Conv2dAttrs>,
    "OpAttrs order must follow enum Op");

constexpr const char* kPadModeNames[] = {"value", "zero"};
static_assert(std::size(kPadModeNames) == static_cast<std::size_t>(PadMode::Count),
              "kPadModeNames must list every PadMode");

}  // namespace

const char* pad_mode_name(PadMode mode) { return kPadModeNames[static_cast<std::size_t>(mode)]; }

const char* op_name(Op op) { return kOpInfo[static_cast<std::size_t>(op)].name; }
int op_arity(Op op) { return kOpInfo[static_cast<std::size_t>(op)].arity; }

const char* affine_kind_name(AffineKind kind) {
  switch (kind) {
    case AffineKind::Add: return "add";
    case AffineKind::Mul: return "mul";
    case AffineKind::Div: return "div";
  }
  return "?";
}

}  // namespace bnnc
