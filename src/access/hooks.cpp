#include "access/hooks.h"

namespace carnet::access {

Status ResourceHooks::validate(const WriteContext&, const nlohmann::json&) const { return Status::ok(); }
Status ResourceHooks::before_write(WriteContext&, nlohmann::json&) const { return Status::ok(); }
void ResourceHooks::labels(const WriteContext&, const nlohmann::json&, Labels&) const {}
Status ResourceHooks::after_write(WriteContext&, const fhir::ResourceVersion&, const nlohmann::json&) const {
  return Status::ok();
}
Status ResourceHooks::on_delete(WriteContext&, const fhir::ResourceVersion&) const { return Status::ok(); }

void HookRegistry::add(std::string type, std::shared_ptr<const ResourceHooks> hooks) {
  all_.emplace_back(std::move(type), std::move(hooks));
}

std::vector<const ResourceHooks*> HookRegistry::of(std::string_view type) const {
  std::vector<const ResourceHooks*> out;
  for (const auto& [t, h] : all_) {
    if (t == "*" || t == type) out.push_back(h.get());
  }
  return out;
}

}  // namespace carnet::access
