#include "fhir/validator.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/embedded.h"
#include "fhir/datetime.h"
#include "fhir/search_index.h"

namespace carnet::fhir {

const std::vector<EmbeddedFile>& fhir_definitions();  // generated (cmake/embed.cmake)

namespace {

using json = nlohmann::json;

constexpr size_t kMaxIssues = 50;
constexpr int kMaxDepth = 48;
constexpr size_t kMaxString = 1u << 20;

struct TypeRef {
  std::string code;
  std::vector<std::string> targets;  // Reference/canonical: allowed target types; empty: any
};

struct Element {
  std::string name;
  int min = 0;
  int max = 1;  // -1: unbounded
  bool choice = false;
  bool summary = false;
  std::vector<TypeRef> types;
  const std::unordered_set<std::string>* codes = nullptr;  // required binding
};

struct Type {
  std::string kind;  // resource, complex, backbone
  std::vector<Element> elements;
  // JSON property → (element, type): "status" → (status, 0); "valueQuantity" → (value, i).
  std::unordered_map<std::string, std::pair<size_t, size_t>> properties;
};

bool is_primitive(std::string_view code) {
  static const std::unordered_set<std::string_view> kPrimitives = {
      "boolean", "integer", "string", "decimal", "uri", "url", "canonical", "base64Binary", "instant", "date",
      "dateTime", "time", "code", "oid", "id", "markdown", "unsignedInt", "positiveInt", "uuid", "xhtml"};
  return kPrimitives.count(code) > 0;
}

std::string capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

bool has_space_at_ends(std::string_view s) {
  return !s.empty() && (std::isspace(static_cast<unsigned char>(s.front())) || std::isspace(static_cast<unsigned char>(s.back())));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A FHIR primitive's JSON type and format; an error message or empty.
std::string check_primitive(const std::string& code, const json& v) {
  auto need_string = [&]() -> const std::string* { return v.is_string() ? v.get_ptr<const std::string*>() : nullptr; };
  if (code == "boolean") return v.is_boolean() ? "" : "must be true or false";
  if (code == "integer" || code == "unsignedInt" || code == "positiveInt") {
    if (!v.is_number_integer()) return "must be a whole number";
    int64_t n = v.is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX)) : v.get<int64_t>();
    if (n > 2147483647 || n < -2147483648LL) return "is out of range (32-bit)";
    if (code == "unsignedInt" && n < 0) return "must be ≥ 0";
    if (code == "positiveInt" && n < 1) return "must be ≥ 1";
    return "";
  }
  if (code == "decimal") return v.is_number() ? "" : "must be a number";
  const std::string* s = need_string();
  if (!s) return "must be a string";
  if (s->empty()) return "must not be empty";
  if (s->size() > kMaxString) return "is too long";
  if (code == "string" || code == "markdown") {
    return std::all_of(s->begin(), s->end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); })
               ? "must contain more than white space"
               : "";
  }
  if (code == "code") {
    if (has_space_at_ends(*s) || s->find("  ") != std::string::npos) return "is not a valid code (surrounding or double spaces)";
    return "";
  }
  if (code == "id") {
    bool ok = s->size() <= 64 && std::all_of(s->begin(), s->end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
              });
    return ok ? "" : "is not a valid id (1–64 letters, digits, '-' or '.')";
  }
  if (code == "uri" || code == "url" || code == "canonical") {
    return std::any_of(s->begin(), s->end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); })
               ? "must not contain white space"
               : "";
  }
  if (code == "oid") {
    if (s->rfind("urn:oid:", 0) != 0 || s->size() < 10) return "must be urn:oid:<digits and dots>";
    return s->find_first_not_of("0123456789.", 8) == std::string::npos ? "" : "must be urn:oid:<digits and dots>";
  }
  if (code == "uuid") {
    bool ok = s->size() == 45 && s->rfind("urn:uuid:", 0) == 0;
    for (size_t i = 9; ok && i < s->size(); ++i) {
      char c = (*s)[i];
      ok = (i == 17 || i == 22 || i == 27 || i == 32) ? c == '-' : std::isxdigit(static_cast<unsigned char>(c)) != 0;
    }
    return ok ? "" : "must be urn:uuid:<uuid>";
  }
  if (code == "base64Binary") {
    bool ok = std::all_of(s->begin(), s->end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=' || c == '\n' || c == '\r' || c == ' ';
    });
    return ok ? "" : "is not base64";
  }
  if (code == "date") return is_date(*s) ? "" : "is not a date (YYYY, YYYY-MM or YYYY-MM-DD)";
  if (code == "dateTime") {
    return is_date_time(*s) ? "" : "is not a dateTime (YYYY[-MM[-DD[Thh:mm:ss[.fff](Z|±hh:mm)]]])";
  }
  if (code == "instant") return is_instant(*s) ? "" : "is not an instant (YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm))";
  if (code == "time") return is_time(*s) ? "" : "is not a time (hh:mm:ss)";
  if (code == "xhtml") {
    // Narrative is shown to people: only a plain <div>, nothing active (FHIR narrative rules).
    std::string l = lower(*s);
    if (l.rfind("<div", 0) != 0) return "must be an XHTML <div>";
    for (const char* bad : {"<script", "javascript:", "<iframe", "<object", "<embed", "<form", "<style", "<link", "<meta"}) {
      if (l.find(bad) != std::string::npos) return std::string("must not contain ") + bad;
    }
    for (size_t i = l.find(" on"); i != std::string::npos; i = l.find(" on", i + 1)) {
      size_t j = i + 3;
      while (j < l.size() && std::isalpha(static_cast<unsigned char>(l[j]))) ++j;
      while (j < l.size() && l[j] == ' ') ++j;
      if (j > i + 3 && j < l.size() && l[j] == '=') return "must not contain event attributes (on…=)";
    }
    return "";
  }
  return "";
}

}  // namespace

struct Validator::Impl {
  std::unordered_map<std::string, Type> types;
  std::unordered_map<std::string, std::unordered_set<std::string>> valuesets;

  struct Walk {
    std::vector<ValidationIssue>* issues;
    void add(std::string code, const std::string& path, std::string message) const {
      if (issues->size() < kMaxIssues) issues->push_back({std::move(code), path, std::move(message)});
    }
    bool full() const { return issues->size() >= kMaxIssues; }
  };

  void resource(const Walk& w, const json& v, const std::string& path, int depth, std::string_view expected) const {
    if (!v.is_object()) return w.add("structure", path, "a resource must be a JSON object");
    auto rt = v.find("resourceType");
    if (rt == v.end() || !rt->is_string()) return w.add("required", path, "resourceType is missing");
    const std::string& name = rt->get_ref<const std::string&>();
    if (!expected.empty() && name != expected) {
      return w.add("invalid", path + ".resourceType", "resourceType must be " + std::string(expected) + ", not " + name.substr(0, 40));
    }
    auto t = types.find(name);
    if (t == types.end() || t->second.kind != "resource") {
      return w.add("not-supported", path + ".resourceType", "resource type '" + name.substr(0, 40) + "' is not supported");
    }
    object(w, v, t->second, expected.empty() ? path : std::string(expected), depth, true);
  }

  void object(const Walk& w, const json& v, const Type& t, const std::string& path, int depth, bool root) const {
    if (depth > kMaxDepth) return w.add("too-costly", path, "too deeply nested");
    if (!v.is_object()) return w.add("structure", path, "must be a JSON object");
    if (v.empty()) return w.add("structure", path, "must not be empty");
    std::vector<int> seen(t.elements.size(), 0);
    std::vector<std::string> chosen(t.elements.size());
    for (const auto& [key, value] : v.items()) {
      if (w.full()) return;
      if (root && key == "resourceType") continue;
      bool extension_part = key.size() > 1 && key[0] == '_';
      std::string name = extension_part ? key.substr(1) : key;
      auto p = t.properties.find(name);
      std::string here = path + "." + key;
      if (p == t.properties.end()) {
        w.add("structure", here, "unknown element '" + key.substr(0, 60) + "'");
        continue;
      }
      const Element& e = t.elements[p->second.first];
      const TypeRef& type = e.types[p->second.second];
      if (e.choice && !chosen[p->second.first].empty() && chosen[p->second.first] != name) {
        w.add("structure", here, "only one of " + e.name + "[x] may be given");
        continue;
      }
      chosen[p->second.first] = name;
      seen[p->second.first] = 1;
      if (extension_part) {
        if (!is_primitive(type.code)) {
          w.add("structure", here, "'_' elements are only for primitive elements");
          continue;
        }
        primitive_extensions(w, value, e, here, depth);
        continue;
      }
      if (value.is_null()) {
        w.add("structure", here, "must not be null (leave the element out)");
        continue;
      }
      if (e.max == 1) {
        if (value.is_array()) {
          w.add("structure", here, "must be a single value, not an array");
          continue;
        }
        value_of(w, value, e, type, here, depth);
      } else {
        if (!value.is_array()) {
          w.add("structure", here, "must be an array");
          continue;
        }
        if (value.empty()) w.add("structure", here, "must not be an empty array");
        if (e.max > 1 && value.size() > static_cast<size_t>(e.max)) {
          w.add("structure", here, "at most " + std::to_string(e.max) + " values");
        }
        for (size_t i = 0; i < value.size() && !w.full(); ++i) {
          if (value[i].is_null()) {
            w.add("structure", here + "[" + std::to_string(i) + "]", "must not be null");
            continue;
          }
          value_of(w, value[i], e, type, here + "[" + std::to_string(i) + "]", depth);
        }
      }
    }
    for (size_t i = 0; i < t.elements.size(); ++i) {
      if (t.elements[i].min > 0 && !seen[i]) {
        const Element& e = t.elements[i];
        w.add("required", path + "." + e.name + (e.choice ? "[x]" : ""), "required element '" + e.name + "' is missing");
      }
    }
  }

  void primitive_extensions(const Walk& w, const json& v, const Element& e, const std::string& path, int depth) const {
    auto one = [&](const json& item, const std::string& here) {
      if (item.is_null()) return;
      static const Type kElement = [] {
        Type t;
        t.kind = "complex";
        t.elements.push_back({"id", 0, 1, false, false, {{"string", {}}}, nullptr});
        t.elements.push_back({"extension", 0, -1, false, false, {{"Extension", {}}}, nullptr});
        t.properties = {{"id", {0, 0}}, {"extension", {1, 0}}};
        return t;
      }();
      object(w, item, kElement, here, depth + 1, false);
    };
    if (e.max == 1) {
      one(v, path);
    } else if (v.is_array()) {
      for (size_t i = 0; i < v.size(); ++i) one(v[i], path + "[" + std::to_string(i) + "]");
    } else {
      w.add("structure", path, "must be an array");
    }
  }

  void value_of(const Walk& w, const json& v, const Element& e, const TypeRef& type, const std::string& path,
                int depth) const {
    if (is_primitive(type.code)) {
      std::string problem = check_primitive(type.code, v);
      if (!problem.empty()) return w.add("value", path, type.code + " " + problem);
      if (e.codes && type.code == "code" && !e.codes->count(v.get<std::string>())) {
        return w.add("code-invalid", path, "'" + v.get<std::string>().substr(0, 60) + "' is not an allowed code here");
      }
      return;
    }
    if (type.code == "Resource") return resource(w, v, path, depth + 1, {});
    auto t = types.find(type.code);
    if (t == types.end()) return;  // types the definitions leave out are not checked further
    object(w, v, t->second, path, depth + 1, false);
    if (!v.is_object()) return;
    if (type.code == "Reference") reference(w, v, type, path);
    if (e.codes && (type.code == "Coding" || type.code == "CodeableConcept")) binding(w, v, e, type, path);
  }

  void reference(const Walk& w, const json& v, const TypeRef& type, const std::string& path) const {
    auto r = v.find("reference");
    if (r == v.end() || !r->is_string()) return;
    const std::string& ref = r->get_ref<const std::string&>();
    if (ref.empty() || ref[0] == '#' || ref.rfind("urn:uuid:", 0) == 0 || ref.rfind("urn:oid:", 0) == 0) return;
    std::string target = normalize_reference(ref);
    if (target.empty()) return w.add("value", path + ".reference", "'" + ref.substr(0, 60) + "' is not a reference (Type/id)");
    std::string t = target.substr(0, target.find('/'));
    if (!type.targets.empty() && std::find(type.targets.begin(), type.targets.end(), t) == type.targets.end()) {
      std::string allowed;
      for (const auto& a : type.targets) allowed += (allowed.empty() ? "" : ", ") + a;
      w.add("value", path + ".reference", "a reference to " + t.substr(0, 40) + " is not allowed here (expected " + allowed + ")");
    }
  }

  void binding(const Walk& w, const json& v, const Element& e, const TypeRef& type, const std::string& path) const {
    std::vector<const json*> codings;
    if (type.code == "Coding") {
      codings.push_back(&v);
    } else if (auto c = v.find("coding"); c != v.end() && c->is_array()) {
      for (const auto& x : *c) codings.push_back(&x);
    }
    for (const json* c : codings) {
      auto code = c->find("code");
      if (code != c->end() && code->is_string() && e.codes->count(code->get<std::string>())) return;
    }
    w.add("code-invalid", path, "a code from the required value set of " + e.name + " is needed");
  }
};

Validator::Validator(std::string_view definitions_json) : impl_(std::make_unique<Impl>()) {
  json doc = json::parse(definitions_json);
  for (const auto& [url, codes] : doc.at("valuesets").items()) {
    auto& set = impl_->valuesets[url];
    for (const auto& c : codes) set.insert(c.get<std::string>());
  }
  for (const auto& [name, def] : doc.at("types").items()) {
    Type t;
    t.kind = def.at("kind").get<std::string>();
    for (const auto& e : def.at("elements")) {
      Element el;
      el.name = e.at("name").get<std::string>();
      el.min = e.at("min").get<int>();
      el.max = e.at("max").get<int>();
      el.choice = e.value("choice", false);
      el.summary = e.value("summary", false);
      if (e.contains("binding")) {
        auto vs = impl_->valuesets.find(e["binding"].get<std::string>());
        if (vs != impl_->valuesets.end()) el.codes = &vs->second;
      }
      for (const auto& ty : e.at("types")) {
        TypeRef r{ty.at("code").get<std::string>(), {}};
        if (ty.contains("targets")) r.targets = ty["targets"].get<std::vector<std::string>>();
        el.types.push_back(std::move(r));
      }
      size_t index = t.elements.size();
      if (el.choice) {
        for (size_t i = 0; i < el.types.size(); ++i) t.properties[el.name + capitalized(el.types[i].code)] = {index, i};
      } else {
        t.properties[el.name] = {index, 0};
      }
      t.elements.push_back(std::move(el));
    }
    impl_->types.emplace(name, std::move(t));
  }
}

Validator::~Validator() = default;
Validator::Validator(Validator&&) noexcept = default;

const Validator& Validator::r4() {
  static const Validator v = [] {
    for (const auto& f : fhir_definitions()) {
      if (f.name == "fhir-r4-definitions.json") return Validator(f.contents);
    }
    std::abort();  // the build embeds it; its absence is a build error
  }();
  return v;
}

std::vector<ValidationIssue> Validator::validate(const json& resource, std::string_view type) const {
  std::vector<ValidationIssue> issues;
  impl_->resource(Impl::Walk{&issues}, resource, std::string(type), 0, type);
  return issues;
}

bool Validator::in_summary(std::string_view type, std::string_view element) const {
  auto t = impl_->types.find(std::string(type));
  if (t == impl_->types.end()) return false;
  auto p = t->second.properties.find(std::string(element));
  return p != t->second.properties.end() && t->second.elements[p->second.first].summary;
}

}  // namespace carnet::fhir
