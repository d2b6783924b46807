// Tests only: the first column of the first row of a query, as text ("NULL" for null,
// integers and reals in decimal, "" when there is no row).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "store/store.h"

namespace carnet::testing {

inline std::string scalar(store::Store& store, const std::string& sql) {
  std::string v;
  Status s = store.transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    auto r = tx.query_one(sql);
    if (!r.is_ok()) return r.status();
    if (!*r) return Status::ok();
    const store::Value& val = (*r)->value(0);
    if (auto n = std::get_if<int64_t>(&val)) {
      v = std::to_string(*n);
    } else if (auto d = std::get_if<double>(&val)) {
      v = std::to_string(*d);
    } else {
      v = (*r)->is_null(0) ? "NULL" : (*r)->text(0);
    }
    return Status::ok();
  });
  EXPECT_TRUE(s.is_ok()) << sql << ": " << s.to_string();
  return v;
}

}  // namespace carnet::testing
