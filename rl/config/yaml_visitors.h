// The three visitors over config sections (see schema.h): YamlLoader, YamlDumper, DocWriter.
// Header-only because they are templates over the section structs. Not thread-safe; one
// visitor per load.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "rl/config/schema.h"
#include "rl/core/strings.h"

namespace rl::config {

// One validation error with its position; printed as `file:line:column: path: message`.
struct ConfigError {
  std::string file;
  int line = 0, column = 0;  // 1-based; 0 when unknown
  std::string path, message;
  std::string ToString() const;
};

// Shared state of one load: the file name, collected errors, and the positions of
// command-line overrides (`--set a.b=v` errors point at the override, not at the file).
struct LoadContext {
  std::string file;
  std::vector<ConfigError> errors;
  std::map<std::string, std::string> overrides;  // path → the `--set` text
  void Error(const YAML::Node& node, const std::string& path, const std::string& message);
  void ErrorAtKey(const YAML::Mark& mark, const std::string& path, const std::string& message);
};

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsMap : std::false_type {};
template <class T>
struct IsMap<std::map<std::string, T>> : std::true_type {};

template <class T>
std::string TypeName() {
  if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_same_v<T, int64_t>) return "int";
  else if constexpr (std::is_same_v<T, double>) return "float";
  else if constexpr (std::is_same_v<T, std::string>) return "string";
  else if constexpr (IsVector<T>::value) return "list of " + TypeName<typename T::value_type>();
  else if constexpr (IsMap<T>::value) return "map of string to " + TypeName<typename T::mapped_type>();
  else return "section";
}

// Reads a scalar of type T from a YAML node; false when the node is not one.
template <class T>
bool ReadScalar(const YAML::Node& node, T& out) {
  if (!node.IsScalar()) return false;
  const std::string& s = node.Scalar();
  if constexpr (std::is_same_v<T, std::string>) {
    out = s;
    return true;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "on") {
      out = true;
      return true;
    }
    if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "off") {
      out = false;
      return true;
    }
    return false;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    if (s.empty()) return false;
    size_t pos = 0;
    try {
      long long v = std::stoll(s, &pos, 10);
      if (pos != s.size()) return false;
      out = v;
      return true;
    } catch (...) {
      return false;
    }
  } else if constexpr (std::is_same_v<T, double>) {
    if (s.empty()) return false;
    if (s == ".inf" || s == "inf") { out = HUGE_VAL; return true; }
    size_t pos = 0;
    try {
      double v = std::stod(s, &pos);
      if (pos != s.size() || std::isnan(v)) return false;
      out = v;
      return true;
    } catch (...) {
      return false;
    }
  }
  return false;
}

template <class T>
std::string ScalarToString(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) return v;
  else if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
  else if constexpr (std::is_same_v<T, int64_t>) return std::to_string(v);
  else {
    if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
    std::ostringstream s;
    s.precision(17);
    s << v;
    // Round-trip precision, but drop noise such as 0.10000000000000001.
    std::ostringstream shorter;
    shorter.precision(15);
    shorter << v;
    return std::stod(shorter.str()) == v ? shorter.str() : s.str();
  }
}

// YAML → struct. Fields absent from the YAML keep their defaults.
class YamlLoader {
 public:
  YamlLoader(YAML::Node node, std::string path, LoadContext* ctx)
      : node_(std::move(node)), path_(std::move(path)), ctx_(ctx) {}

  template <class T>
  void Field(const char* name, T& value, const FieldInfo& info) {
    seen_.insert(name);
    if (!node_.IsMap()) return;
    YAML::Node child = Get(name);
    if (!child.IsDefined() || child.IsNull()) return;
    std::string path = Join(name);
    field_nodes_[name] = child;
    if constexpr (IsVector<T>::value) {
      using E = typename T::value_type;
      if (!child.IsSequence()) {
        ctx_->Error(child, path, "expected a " + TypeName<T>());
        return;
      }
      T out;
      for (size_t i = 0; i < child.size(); ++i) {
        E e{};
        std::string epath = path + "[" + std::to_string(i) + "]";
        if (!ReadScalar(child[i], e)) {
          ctx_->Error(child[i], epath, "expected " + TypeName<E>() + ", got " + Describe(child[i]));
          return;
        }
        if (!CheckValue(child[i], epath, e, info)) return;
        out.push_back(e);
      }
      value = std::move(out);
    } else if constexpr (IsMap<T>::value) {
      using E = typename T::mapped_type;
      if (!child.IsMap()) {
        ctx_->Error(child, path, "expected a " + TypeName<T>());
        return;
      }
      T out;
      for (auto it = child.begin(); it != child.end(); ++it) {
        std::string key = it->first.Scalar();
        E e{};
        if (!ReadScalar(it->second, e)) {
          ctx_->Error(it->second, path + "." + key,
                      "expected " + TypeName<E>() + ", got " + Describe(it->second));
          return;
        }
        if (!CheckValue(it->second, path + "." + key, e, info)) return;
        out[key] = e;
      }
      value = std::move(out);
    } else {
      T v{};
      if (!ReadScalar(child, v)) {
        ctx_->Error(child, path, "expected " + TypeName<T>() + ", got " + Describe(child));
        return;
      }
      if (CheckValue(child, path, v, info)) value = v;
    }
  }

  template <class S>
  void Section(const char* name, S& sub, const std::string& /*doc*/) {
    seen_.insert(name);
    if (!node_.IsMap()) return;
    YAML::Node child = Get(name);
    if (!child.IsDefined() || child.IsNull()) {
      LoadSection(YAML::Node(YAML::NodeType::Map), Join(name), sub, ctx_);
      return;
    }
    field_nodes_[name] = child;
    if (!child.IsMap()) {
      ctx_->Error(child, Join(name), "expected a section (a map of keys), got " + Describe(child));
      return;
    }
    LoadSection(child, Join(name), sub, ctx_);
  }

  template <class S>
  void List(const char* name, std::vector<S>& items, const std::string& /*doc*/) {
    seen_.insert(name);
    if (!node_.IsMap()) return;
    YAML::Node child = Get(name);
    if (!child.IsDefined() || child.IsNull()) return;
    field_nodes_[name] = child;
    if (!child.IsSequence()) {
      ctx_->Error(child, Join(name), "expected a list, got " + Describe(child));
      return;
    }
    std::vector<S> out(child.size());
    for (size_t i = 0; i < child.size(); ++i) {
      std::string p = Join(name) + "[" + std::to_string(i) + "]";
      if (!child[i].IsMap()) {
        ctx_->Error(child[i], p, "expected a map of keys, got " + Describe(child[i]));
        continue;
      }
      LoadSection(child[i], p, out[i], ctx_);
    }
    items = std::move(out);
  }

  template <class S>
  static void LoadSection(const YAML::Node& node, const std::string& path, S& s, LoadContext* ctx) {
    YamlLoader loader(node, path, ctx);
    s.Visit(loader);
    loader.RejectUnknownKeys();
    if constexpr (requires(const S& c, ConfigErrors& e) { c.Validate(e); }) {
      ConfigErrors errors;
      s.Validate(errors);
      for (const auto& item : errors.items()) {
        auto it = loader.field_nodes_.find(item.field);
        std::string p = path.empty() ? item.field : path + "." + item.field;
        if (it != loader.field_nodes_.end()) {
          ctx->Error(it->second, p, item.message);
        } else {
          ctx->Error(node, p, item.message);
        }
      }
    }
  }

 private:
  std::string Join(const char* name) const {
    return path_.empty() ? std::string(name) : path_ + "." + name;
  }

  // Const lookup: yaml-cpp's non-const operator[] would insert the key.
  YAML::Node Get(const char* name) const {
    const YAML::Node& n = node_;
    return n[name];
  }

  static std::string Describe(const YAML::Node& n) {
    if (n.IsMap()) return "a map";
    if (n.IsSequence()) return "a list";
    if (n.IsScalar()) return "'" + n.Scalar() + "'";
    return "nothing";
  }

  template <class T>
  bool CheckValue(const YAML::Node& node, const std::string& path, const T& v,
                  const FieldInfo& info) {
    if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, double>) {
      double x = static_cast<double>(v);
      if (info.min && (x < *info.min || (info.min_open && x == *info.min))) {
        ctx_->Error(node, path,
                    "must be " + std::string(info.min_open ? "> " : ">= ") +
                        ScalarToString(*info.min) + ", got " + ScalarToString(v));
        return false;
      }
      if (info.max && (x > *info.max || (info.max_open && x == *info.max))) {
        ctx_->Error(node, path,
                    "must be " + std::string(info.max_open ? "< " : "<= ") +
                        ScalarToString(*info.max) + ", got " + ScalarToString(v));
        return false;
      }
    }
    if constexpr (std::is_same_v<T, std::string>) {
      if (!info.one_of.empty() &&
          std::find(info.one_of.begin(), info.one_of.end(), v) == info.one_of.end()) {
        std::string hint = DidYouMean(v, info.one_of);
        ctx_->Error(node, path,
                    "'" + v + "' is not one of " + rl::Join(info.one_of, ", ") +
                        (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
        return false;
      }
    }
    return true;
  }

  void RejectUnknownKeys() {
    if (!node_.IsMap()) return;
    std::vector<std::string> known(seen_.begin(), seen_.end());
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
      if (seen_.count(key)) continue;
      std::string hint = DidYouMean(key, known);
      std::string p = path_.empty() ? key : path_ + "." + key;
      ctx_->ErrorAtKey(it->first.Mark(), p,
                       "unknown key '" + key + "'" +
                           (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
  }

  YAML::Node node_;
  std::string path_;
  LoadContext* ctx_;
  std::set<std::string> seen_;
  std::map<std::string, YAML::Node> field_nodes_;
};

// struct → YAML (block style), every field written, defaults included.
class YamlDumper {
 public:
  explicit YamlDumper(YAML::Emitter* out) : out_(out) {}

  template <class T>
  void Field(const char* name, const T& value, const FieldInfo&) {
    *out_ << YAML::Key << name << YAML::Value;
    if constexpr (IsVector<T>::value) {
      *out_ << YAML::Flow << YAML::BeginSeq;
      for (const auto& e : value) EmitScalar(e);
      *out_ << YAML::EndSeq;
    } else if constexpr (IsMap<T>::value) {
      *out_ << YAML::BeginMap;
      for (const auto& [k, e] : value) {
        *out_ << YAML::Key << k << YAML::Value;
        EmitScalar(e);
      }
      *out_ << YAML::EndMap;
    } else {
      EmitScalar(value);
    }
  }

  template <class S>
  void Section(const char* name, const S& sub, const std::string&) {
    *out_ << YAML::Key << name << YAML::Value << YAML::BeginMap;
    const_cast<S&>(sub).Visit(*this);
    *out_ << YAML::EndMap;
  }

  template <class S>
  void List(const char* name, const std::vector<S>& items, const std::string&) {
    *out_ << YAML::Key << name << YAML::Value << YAML::BeginSeq;
    for (const auto& item : items) {
      *out_ << YAML::BeginMap;
      const_cast<S&>(item).Visit(*this);
      *out_ << YAML::EndMap;
    }
    *out_ << YAML::EndSeq;
  }

 private:
  template <class T>
  void EmitScalar(const T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
      *out_ << YAML::DoubleQuoted << v;
    } else {
      *out_ << ScalarToString(v);
    }
  }
  YAML::Emitter* out_;
};

// struct → Markdown table rows: | key | type | default | allowed | meaning |
class DocWriter {
 public:
  explicit DocWriter(std::ostringstream* out, std::string path = "")
      : out_(out), path_(std::move(path)) {}

  template <class T>
  void Field(const char* name, const T& value, const FieldInfo& info) {
    std::string def;
    if constexpr (IsVector<T>::value) {
      std::vector<std::string> parts;
      for (const auto& e : value) parts.push_back(ScalarToString(e));
      def = "[" + rl::Join(parts, ", ") + "]";
    } else if constexpr (IsMap<T>::value) {
      std::vector<std::string> parts;
      for (const auto& [k, e] : value) parts.push_back(k + ": " + ScalarToString(e));
      def = "{" + rl::Join(parts, ", ") + "}";
    } else {
      def = ScalarToString(value);
      if constexpr (std::is_same_v<T, std::string>) def = "\"" + def + "\"";
    }
    std::string allowed;
    if (!info.one_of.empty()) allowed = rl::Join(info.one_of, " \\| ");
    if (info.min) allowed += std::string(info.min_open ? "> " : "≥ ") + ScalarToString(*info.min);
    if (info.max) {
      if (info.min) allowed += ", ";
      allowed += std::string(info.max_open ? "< " : "≤ ") + ScalarToString(*info.max);
    }
    *out_ << "| `" << Join(name) << "` | " << TypeName<T>() << " | `" << def << "` | " << allowed
          << " | " << info.doc << " |\n";
  }

  template <class S>
  void Section(const char* name, const S& sub, const std::string& doc) {
    *out_ << "| **`" << Join(name) << "`** | section | | | " << doc << " |\n";
    DocWriter child(out_, Join(name));
    const_cast<S&>(sub).Visit(child);
  }

  template <class S>
  void List(const char* name, const std::vector<S>& /*items*/, const std::string& doc) {
    *out_ << "| **`" << Join(name) << "[]`** | list of sections | `[]` | | " << doc << " |\n";
    S item{};
    DocWriter child(out_, Join(name) + "[]");
    item.Visit(child);
  }

 private:
  std::string Join(const char* name) const {
    return path_.empty() ? std::string(name) : path_ + "." + name;
  }
  std::ostringstream* out_;
  std::string path_;
};

}  // namespace rl::config
