// The C ABI's opaque handles (polarkit_options, polarkit_optimizer) as the library sees them:
// shared by the entry points of libpolarkit (c_api/) and of libpolarkit_mpi (mpi/c_api.cpp).
#pragma once

#include "c_api/common.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/options.hpp"

struct polarkit_options {
  polarkit::PolarOptions polar;
  polarkit::c_api::Storage storage;
};

struct polarkit_optimizer {
  polarkit::optim::Config config;
  polarkit::c_api::Storage storage;
};
