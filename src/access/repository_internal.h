// Internal to the Repository's translation units.
#pragma once

#include <memory>
#include <string>

#include "access/facts.h"
#include "access/repository.h"

namespace carnet::access {

struct Repository::Decided {
  Decision decision;
  LoadedFacts facts;
  std::string space;  // the space decided on ("directory" for the directory)
  bool directory = false;
  bool located = false;  // the space is the one holding the resource (a professional naming it by id)
  std::shared_ptr<const Matrix> matrix;  // professionals: the matrix in force
};

}  // namespace carnet::access
