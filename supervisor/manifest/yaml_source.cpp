#include "manifest/yaml_source.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <unordered_set>

#include "manifest/yaml_scalar.hpp"

namespace skiff::manifest {
namespace {

constexpr std::string_view kTagStr = "tag:yaml.org,2002:str";
constexpr std::string_view kTagInt = "tag:yaml.org,2002:int";
constexpr std::string_view kTagFloat = "tag:yaml.org,2002:float";
constexpr std::string_view kTagBool = "tag:yaml.org,2002:bool";
constexpr std::string_view kTagNull = "tag:yaml.org,2002:null";
constexpr std::string_view kTagMap = "tag:yaml.org,2002:map";
constexpr std::string_view kTagSeq = "tag:yaml.org,2002:seq";

SourcePos pos_of(const YAML::Mark& m) {
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

// A document too big, too deep or not representable: the conversion stops at once.
struct Refusal {
  SourcePos pos;
  std::string message;
};

class Converter {
 public:
  Converter(const SourceLimits& limits, PositionMap& positions) : limits_(limits), positions_(positions) {}

  nlohmann::json convert(const YAML::Node& node, const std::string& pointer, SourcePos key_pos, int depth) {
    SourcePos here = pos_of(node.Mark());
    if (depth > limits_.max_depth)
      throw Refusal{here, "nested more than " + std::to_string(limits_.max_depth) + " levels deep"};
    if (++nodes_ > limits_.max_document_nodes)
      throw Refusal{here, "document has more than " + std::to_string(limits_.max_document_nodes) +
                              " nodes (after expanding aliases)"};
    positions_.add(pointer, key_pos, here);
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return check_tag_null(node, here);
      case YAML::NodeType::Scalar:
        return scalar(node, here);
      case YAML::NodeType::Sequence: {
        check_collection_tag(node, kTagSeq, here);
        nlohmann::json arr = nlohmann::json::array();
        size_t i = 0;
        for (const YAML::Node& item : node) {
          arr.push_back(convert(item, pointer + "/" + std::to_string(i), {}, depth + 1));
          ++i;
        }
        return arr;
      }
      case YAML::NodeType::Map:
        check_collection_tag(node, kTagMap, here);
        return mapping(node, pointer, depth);
    }
    return nullptr;
  }

 private:
  void charge(size_t bytes, SourcePos at) {
    bytes_ += bytes;
    if (bytes_ > limits_.max_document_bytes)
      throw Refusal{at, "document is larger than " + std::to_string(limits_.max_document_bytes) +
                            " bytes (after expanding aliases)"};
  }

  void check_collection_tag(const YAML::Node& node, std::string_view expected, SourcePos at) {
    const std::string& tag = node.Tag();
    if (tag != "?" && tag != "!" && tag != "" && tag != expected)
      throw Refusal{at, "unsupported YAML tag " + tag};
  }

  nlohmann::json check_tag_null(const YAML::Node& node, SourcePos at) {
    const std::string& tag = node.Tag();
    if (tag == kTagStr) return "";
    if (tag != "?" && tag != "" && tag != "!" && tag != kTagNull)
      throw Refusal{at, "unsupported YAML tag " + tag + " on an empty value"};
    return nullptr;
  }

  nlohmann::json scalar(const YAML::Node& node, SourcePos at) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    charge(text.size() + 8, at);
    if (tag == "!" || tag == kTagStr) return text;  // quoted, block, or !!str: a string
    ResolvedScalar r = resolve_plain_scalar(text);
    if (!r.error.empty()) throw Refusal{at, r.error};
    if (tag == "?" || tag.empty()) return r.value;
    bool ok = (tag == kTagInt && r.value.is_number_integer()) || (tag == kTagFloat && r.value.is_number()) ||
              (tag == kTagBool && r.value.is_boolean()) || (tag == kTagNull && r.value.is_null());
    if (tag == kTagFloat && r.value.is_number_integer()) return r.value.get<double>();
    if (!ok) {
      if (tag == kTagInt || tag == kTagFloat || tag == kTagBool || tag == kTagNull)
        throw Refusal{at, "cannot read " + quote_value(text) + " as " + tag.substr(tag.rfind(':') + 1)};
      throw Refusal{at, "unsupported YAML tag " + tag};
    }
    return r.value;
  }

  // The key as sigs.k8s.io/yaml turns it into a JSON member name.
  std::string key_string(const YAML::Node& key, SourcePos at) {
    if (key.Type() == YAML::NodeType::Null && key.Tag() != std::string(kTagStr))
      throw Refusal{at, "a mapping key may not be null"};
    if (key.Type() != YAML::NodeType::Scalar && key.Type() != YAML::NodeType::Null)
      throw Refusal{
          at, "a mapping key must be a scalar, not a " + std::string(key.IsMap() ? "mapping" : "sequence")};
    if (key.Type() == YAML::NodeType::Null) return "";
    nlohmann::json v = scalar(key, at);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number_unsigned()) throw Refusal{at, "a mapping key may not be an unsigned 64-bit number"};
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    if (v.is_number_float()) return go_float_key(v.get<double>());
    throw Refusal{at, "a mapping key may not be null"};
  }

  nlohmann::json mapping(const YAML::Node& node, const std::string& pointer, int depth) {
    nlohmann::json obj = nlohmann::json::object();
    // Merged keys (`<<`) first, so the mapping's own keys (and their positions) override them.
    // yaml-cpp's iterators hand out entries by value: hold them, not references into them
    for (const auto& entry : node)
      if (is_merge_key(entry.first)) merge(obj, entry.second, pointer, depth);
    std::unordered_set<std::string> explicit_keys;
    for (const auto& entry : node) {
      const YAML::Node& k = entry.first;
      if (is_merge_key(k)) continue;
      SourcePos kpos = pos_of(k.Mark());
      std::string name = key_string(k, kpos);
      if (!explicit_keys.insert(name).second)
        throw Refusal{kpos, "duplicate key " + quote_value(name) + " in a mapping"};
      obj[name] = convert(entry.second, pointer + "/" + escape(name), kpos, depth + 1);
    }
    return obj;
  }

  static bool is_merge_key(const YAML::Node& k) {
    return k.IsScalar() && k.Tag() == "?" && k.Scalar() == "<<";
  }

  // YAML's merge key: keys of the merged mapping(s) that the mapping does not set itself; of several
  // merged mappings, the first one that has a key wins.
  void merge(nlohmann::json& obj, const YAML::Node& value, const std::string& pointer, int depth) {
    SourcePos at = pos_of(value.Mark());
    std::vector<YAML::Node> sources;
    if (value.IsMap())
      sources.push_back(value);
    else if (value.IsSequence())
      for (const YAML::Node& s : value) sources.push_back(s);
    for (const YAML::Node& src : sources) {
      if (!src.IsMap()) throw Refusal{at, "a merge key (<<) must name a mapping or a list of mappings"};
      nlohmann::json part = mapping(src, pointer, depth + 1);
      for (auto& [k, v] : part.items())
        if (!obj.contains(k)) obj[k] = std::move(v);
    }
    if (sources.empty()) throw Refusal{at, "a merge key (<<) must name a mapping or a list of mappings"};
  }

  static std::string escape(const std::string& name) {
    std::string out;
    for (char c : name)
      out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
    return out;
  }

  const SourceLimits& limits_;
  PositionMap& positions_;
  size_t nodes_ = 0;
  size_t bytes_ = 0;
};

// YAML (like JSON) is UTF-8 text: refuse NUL bytes, other control characters and invalid UTF-8 before
// the parser sees them, naming where they are.
bool check_text(std::string_view text, Diagnostics& diags) {
  int line = 1, col = 1;
  for (size_t i = 0; i < text.size();) {
    unsigned char c = text[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= text.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) >> 6) == 2;
    if (ok && len > 1) {  // overlong forms, surrogates, beyond U+10FFFF
      uint32_t cp = c & (0x7f >> len);
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (text[i + k] & 0x3f);
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    }
    if (!ok) {
      diags.error_at({line, col}, "invalid UTF-8 in the input");
      return false;
    }
    if (c == 0) {
      diags.error_at({line, col}, "the input contains a NUL byte");
      return false;
    }
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      diags.error_at({line, col}, "the input contains control character " + std::to_string(c));
      return false;
    }
    if (c == '\n')
      line++, col = 1;
    else
      ++col;
    i += len;
  }
  return true;
}

}  // namespace

std::vector<SourceDocument> read_documents(std::string_view text, Diagnostics& diags,
                                           const SourceLimits& limits) {
  std::vector<SourceDocument> docs;
  if (text.size() > limits.max_input_bytes) {
    diags.error_at({}, "input is larger than " + std::to_string(limits.max_input_bytes) + " bytes");
    return docs;
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (!check_text(text, diags)) return docs;
  std::vector<YAML::Node> roots;
  try {
    roots = YAML::LoadAll(std::string(text));
  } catch (const YAML::ParserException& e) {
    std::string msg = e.msg;
    if (dynamic_cast<const YAML::DeepRecursion*>(&e)) msg = "nested too deeply";
    diags.error_at(pos_of(e.mark), "YAML syntax error: " + msg);
    return docs;
  } catch (const YAML::Exception& e) {
    diags.error_at(pos_of(e.mark), "YAML error: " + e.msg);
    return docs;
  }
  for (size_t i = 0; i < roots.size(); ++i) {
    if (roots[i].IsNull()) continue;  // an empty document, as between two `---`
    SourceDocument doc;
    doc.index = i;
    doc.start = pos_of(roots[i].Mark());
    try {
      Converter conv(limits, doc.positions);
      doc.value = conv.convert(roots[i], "", {}, 0);
    } catch (const Refusal& r) {
      diags.error_at(r.pos, r.message);
      continue;
    } catch (const YAML::Exception& e) {
      diags.error_at(pos_of(e.mark), "YAML error: " + e.msg);
      continue;
    }
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace skiff::manifest
