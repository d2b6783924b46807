// Who sees which resource of a space (ARCHITECTURE §4): each visibility rule is written
// once, as an expression over a resource's access labels (the resource_access row: author,
// category, hidden flags, withheld-until), from which both the decision about one resource
// (decide(), policy.h) and the restriction of a search (SQL over the row alias r) are
// derived — so that a read by id and a search cannot disagree.
//
// The rules, in the order decide() applies them to a read:
//   - minors' confidential documents: hidden from representatives;
//   - withheld results: a result its author withholds until the announcement consultation
//     is not shown to the holder's side (holder, representatives) yet;
//   - messages: a professional sees the Communications they took part in;
//   - hidden by the holder: hidden from professionals, except their author and the
//     designated physician;
//   - the matrix: a professional sees the categories their profession may see, and what
//     they added themselves.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/matrix.h"
#include "access/policy.h"
#include "store/store.h"

namespace carnet::access {

// A boolean expression over one resource's access labels. A resource without labels (no
// resource_access row) is evaluated with the defaults of ResourceFacts: nothing hidden, no
// author, its type's category.
class Visible {
 public:
  static Visible constant(bool value);
  static Visible hidden_from_professionals();
  static Visible hidden_from_representatives();
  // Withheld from the patient until an instant later than `now` (a FHIR instant, as stored).
  static Visible withheld(std::string now);
  static Visible author_is(std::string idnatps);
  // The resource's category (its label, else its type's category) is one of `categories`.
  static Visible category_in(std::vector<std::string> categories);

  Visible operator!() const;
  Visible operator&&(const Visible& other) const;
  Visible operator||(const Visible& other) const;

  // The value when it is the same for every resource (a rule that hides nothing, or
  // everything, from this caller); nullopt otherwise.
  std::optional<bool> constant_value() const;

  // The value for one resource, from its facts (ResourceFacts, as the facts statement fills
  // them: `withheld_from_patient` computed against the same `now`).
  bool holds(const ResourceFacts& r) const;
  // The same as SQL over the alias x of resource_access (columns NULL when there is no
  // row), appending its parameters in order. `type_category`: the category of a resource
  // whose row gives none.
  void render(std::string& sql, std::vector<store::Value>& params, std::string_view type_category) const;

  struct Node;

 private:
  explicit Visible(std::shared_ptr<const Node> n) : node_(std::move(n)) {}
  std::shared_ptr<const Node> node_;
};

// One rule: what must hold for the caller to see a resource, and the reason of a refusal.
struct VisibilityRule {
  std::string name;    // "withheld", "confidential-minor", "participants", "hidden", "matrix"
  Visible visible;
  std::string reason;  // why a resource is refused (kept in the audit trail, never shown)
  bool applies_to_writes = false;  // also refuses updates and deletes of what it hides
};

// The rules that apply to `actor` acting in a space with `space` facts on resources of
// `type`, in the order above. `now`: the instant withheld results are compared with.
std::vector<VisibilityRule> visibility_rules(const Actor& actor, const SpaceFacts& space, std::string_view type,
                                             const Matrix& matrix, const std::string& now);

// The first rule that hides `resource` (for an action: reads and searches, or writes for
// rules that apply to them), or null.
const VisibilityRule* hiding_rule(const std::vector<VisibilityRule>& rules, const ResourceFacts& resource, bool write);

// A rule as a search restriction over the row alias r of resources (the same compartment
// and type), for fhir::SearchQuery::filters.
struct SearchRestriction {
  std::string sql;
  std::vector<store::Value> params;
};
SearchRestriction search_restriction(const VisibilityRule& rule, std::string_view type);

}  // namespace carnet::access
