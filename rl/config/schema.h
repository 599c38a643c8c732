// The config schema machinery. A config section is a plain struct with default member values
// and one member template that lists its fields:
//
//   struct OptimizerConfig {
//     double lr = 1e-6;
//     template <class V> void Visit(V& v) {
//       v.Field("lr", lr, Doc("peak learning rate").Min(0, /*open=*/true));
//     }
//   };
//
// Visitors walk that list: YamlLoader (YAML → struct with validation and positioned errors),
// YamlDumper (struct → YAML, for `rl config show` and the run store) and DocWriter (the
// Markdown reference in docs/config.md). Adding a section is a local change: a struct with a
// Visit, and one `v.Section(...)` line in its parent. A section may also define
// `void Validate(ConfigErrors& errors) const` for cross-field rules.
//
// Field types: bool, int64_t, double, std::string, std::vector of those three, and
// std::map<std::string, std::string|double>; sections nest with Section and List.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rl::config {

// How a field is documented and constrained.
struct FieldInfo {
  std::string doc;
  std::optional<double> min, max;
  bool min_open = false, max_open = false;
  std::vector<std::string> one_of;  // allowed values of a string field (or of each element)

  FieldInfo Min(double v, bool open = false) const {
    FieldInfo f = *this;
    f.min = v;
    f.min_open = open;
    return f;
  }
  FieldInfo Max(double v, bool open = false) const {
    FieldInfo f = *this;
    f.max = v;
    f.max_open = open;
    return f;
  }
  FieldInfo Range(double lo, double hi) const { return Min(lo).Max(hi); }
  FieldInfo OneOf(std::vector<std::string> values) const {
    FieldInfo f = *this;
    f.one_of = std::move(values);
    return f;
  }
};

inline FieldInfo Doc(std::string doc) {
  FieldInfo f;
  f.doc = std::move(doc);
  return f;
}

// Cross-field validation errors raised by a section's Validate(), attached to a field of
// that section (its position is resolved by the loader).
class ConfigErrors {
 public:
  void At(std::string field, std::string message) {
    items_.push_back({std::move(field), std::move(message)});
  }
  struct Item {
    std::string field, message;
  };
  const std::vector<Item>& items() const { return items_; }

 private:
  std::vector<Item> items_;
};

}  // namespace rl::config
