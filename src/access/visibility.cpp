#include "access/visibility.h"

#include <algorithm>

namespace carnet::access {

struct Visible::Node {
  enum class Kind { kConstant, kHiddenFromProfessionals, kHiddenFromRepresentatives, kWithheld, kAuthorIs, kCategoryIn,
                    kNot, kAnd, kOr };
  Kind kind;
  bool value = false;                 // kConstant
  std::string text;                   // kWithheld: now; kAuthorIs: idnatps
  std::vector<std::string> set;       // kCategoryIn
  std::shared_ptr<const Node> a, b;   // operands
};

namespace {

using Node = Visible::Node;
using Kind = Node::Kind;

std::shared_ptr<const Node> leaf(Kind k, std::string text = {}, std::vector<std::string> set = {}) {
  auto n = std::make_shared<Node>();
  n->kind = k;
  n->text = std::move(text);
  n->set = std::move(set);
  return n;
}

bool is_constant(const Node& n, bool v) { return n.kind == Kind::kConstant && n.value == v; }

bool document_type(std::string_view t) { return t == "DocumentReference" || t == "Binary"; }

bool eval(const Node& n, const ResourceFacts& r) {
  switch (n.kind) {
    case Kind::kConstant: return n.value;
    case Kind::kHiddenFromProfessionals: return r.hidden_from_professionals;
    case Kind::kHiddenFromRepresentatives: return r.hidden_from_representatives;
    case Kind::kWithheld: return r.withheld_from_patient;
    case Kind::kAuthorIs: return !r.author_idnatps.empty() && r.author_idnatps == n.text;
    case Kind::kCategoryIn: {
      std::string category = r.category.empty() ? std::string(type_category(r.type)) : r.category;
      return !category.empty() && std::find(n.set.begin(), n.set.end(), category) != n.set.end();
    }
    case Kind::kNot: return !eval(*n.a, r);
    case Kind::kAnd: return eval(*n.a, r) && eval(*n.b, r);
    case Kind::kOr: return eval(*n.a, r) || eval(*n.b, r);
  }
  return false;
}

// Every column is read through COALESCE with the default of a resource without labels, so
// that SQL's NULL logic never differs from eval().
void render_node(const Node& n, std::string& sql, std::vector<store::Value>& params, std::string_view type_category) {
  switch (n.kind) {
    case Kind::kConstant: sql += n.value ? "1 = 1" : "1 = 0"; return;
    case Kind::kHiddenFromProfessionals: sql += "COALESCE(x.hidden_from_professionals, 0) = 1"; return;
    case Kind::kHiddenFromRepresentatives: sql += "COALESCE(x.hidden_from_representatives, 0) = 1"; return;
    case Kind::kWithheld:
      sql += "COALESCE(x.withheld_until, '') > ?";
      params.emplace_back(n.text);
      return;
    case Kind::kAuthorIs:
      if (n.text.empty()) {
        sql += "1 = 0";
        return;
      }
      sql += "COALESCE(x.author_idnatps, '') = ?";
      params.emplace_back(n.text);
      return;
    case Kind::kCategoryIn: {
      std::vector<std::string> set = n.set;
      set.erase(std::remove(set.begin(), set.end(), std::string()), set.end());
      if (set.empty()) {
        sql += "1 = 0";
        return;
      }
      sql += "COALESCE(x.category, ?) IN (";
      params.emplace_back(std::string(type_category));
      for (size_t i = 0; i < set.size(); ++i) {
        sql += i ? ", ?" : "?";
        params.emplace_back(set[i]);
      }
      sql += ")";
      return;
    }
    case Kind::kNot:
      sql += "NOT (";
      render_node(*n.a, sql, params, type_category);
      sql += ")";
      return;
    case Kind::kAnd:
    case Kind::kOr:
      sql += "(";
      render_node(*n.a, sql, params, type_category);
      sql += n.kind == Kind::kAnd ? ") AND (" : ") OR (";
      render_node(*n.b, sql, params, type_category);
      sql += ")";
      return;
  }
}

}  // namespace

Visible Visible::constant(bool value) {
  auto n = std::make_shared<Node>();
  n->kind = Kind::kConstant;
  n->value = value;
  return Visible(n);
}
Visible Visible::hidden_from_professionals() { return Visible(leaf(Kind::kHiddenFromProfessionals)); }
Visible Visible::hidden_from_representatives() { return Visible(leaf(Kind::kHiddenFromRepresentatives)); }
Visible Visible::withheld(std::string now) { return Visible(leaf(Kind::kWithheld, std::move(now))); }
Visible Visible::author_is(std::string idnatps) { return Visible(leaf(Kind::kAuthorIs, std::move(idnatps))); }
Visible Visible::category_in(std::vector<std::string> categories) {
  return Visible(leaf(Kind::kCategoryIn, {}, std::move(categories)));
}

// The combinators fold constants, so that a rule that cannot hide anything from this caller
// restricts no search.
Visible Visible::operator!() const {
  if (node_->kind == Kind::kConstant) return constant(!node_->value);
  auto n = std::make_shared<Node>();
  n->kind = Kind::kNot;
  n->a = node_;
  return Visible(n);
}

Visible Visible::operator&&(const Visible& o) const {
  if (is_constant(*node_, false) || is_constant(*o.node_, false)) return constant(false);
  if (is_constant(*node_, true)) return o;
  if (is_constant(*o.node_, true)) return *this;
  auto n = std::make_shared<Node>();
  n->kind = Kind::kAnd;
  n->a = node_;
  n->b = o.node_;
  return Visible(n);
}

Visible Visible::operator||(const Visible& o) const {
  if (is_constant(*node_, true) || is_constant(*o.node_, true)) return constant(true);
  if (is_constant(*node_, false)) return o;
  if (is_constant(*o.node_, false)) return *this;
  auto n = std::make_shared<Node>();
  n->kind = Kind::kOr;
  n->a = node_;
  n->b = o.node_;
  return Visible(n);
}

std::optional<bool> Visible::constant_value() const {
  if (node_->kind == Kind::kConstant) return node_->value;
  return std::nullopt;
}

bool Visible::holds(const ResourceFacts& r) const { return eval(*node_, r); }

void Visible::render(std::string& sql, std::vector<store::Value>& params, std::string_view type_category) const {
  render_node(*node_, sql, params, type_category);
}

std::vector<VisibilityRule> visibility_rules(const Actor& actor, const SpaceFacts& space, std::string_view type,
                                             const Matrix& matrix, const std::string& now) {
  std::vector<VisibilityRule> rules;
  bool documents = document_type(type);
  if (space.is_holder || space.is_representative) {
    if (space.is_representative) {
      rules.push_back({"confidential-minor", !Visible::hidden_from_representatives(), "hidden from representatives"});
    }
    // The withheld label is set on documents only (documents/), by their professional author.
    if (documents) {
      rules.push_back({"withheld", !Visible::withheld(now),
                       "this result will be given at a consultation with the professional who added it", true});
    }
    return rules;
  }
  // The person's identity is shown to every professional who treats them (decide()).
  if (actor.kind != ActorKind::kProfessional || type == "Patient") return rules;
  Visible mine = Visible::author_is(actor.idnatps);
  if (type == "Communication") {
    rules.push_back({"participants", mine, "messages are seen by their participants"});
  }
  rules.push_back({"hidden", !Visible::hidden_from_professionals() || mine || Visible::constant(space.designated_physician),
                   "hidden by the holder"});
  // Documents carry their own category; other resources have their type's.
  std::vector<std::string> allowed;
  for (std::string_view c : kCategories) {
    if (matrix.allows(actor.profession, c)) allowed.emplace_back(c);
  }
  std::string category(type_category(type));
  Visible by_category = documents ? Visible::category_in(allowed)
                                  : Visible::constant(!category.empty() && matrix.allows(actor.profession, category));
  rules.push_back({"matrix", mine || by_category,
                   "profession " + (actor.profession.empty() ? std::string("unknown") : actor.profession) +
                       " may not see this category (" + (documents || category.empty() ? std::string(type) : category) +
                       ")"});
  return rules;
}

const VisibilityRule* hiding_rule(const std::vector<VisibilityRule>& rules, const ResourceFacts& resource, bool write) {
  for (const auto& r : rules) {
    if (write && !r.applies_to_writes) continue;
    if (!r.visible.holds(resource)) return &r;
  }
  return nullptr;
}

SearchRestriction search_restriction(const VisibilityRule& rule, std::string_view type) {
  SearchRestriction out;
  ResourceFacts unlabelled;
  unlabelled.type = std::string(type);
  std::string category(type_category(type));
  // A resource has at most one row of labels: it is visible when the rule holds for that row,
  // or, without a row, for the defaults.
  const std::string row =
      "SELECT 1 FROM resource_access x WHERE x.compartment = r.compartment AND x.resource_type = r.resource_type "
      "AND x.resource_id = r.resource_id AND ";
  if (rule.visible.holds(unlabelled)) {
    out.sql = "NOT EXISTS (" + row + "NOT (";
    rule.visible.render(out.sql, out.params, category);
    out.sql += "))";
  } else {
    out.sql = "EXISTS (" + row + "(";
    rule.visible.render(out.sql, out.params, category);
    out.sql += "))";
  }
  return out;
}

}  // namespace carnet::access
