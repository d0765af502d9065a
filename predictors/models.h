// The predictor implementations behind MakePredictor (predictor.h). Private to predictors/.
#pragma once

#include <memory>

#include "predictors/predictor.h"

namespace hwnas::predictors {

std::unique_ptr<Predictor> MakeRidge();
std::unique_ptr<Predictor> MakeGbt();
std::unique_ptr<Predictor> MakeRidgeGbt();

}  // namespace hwnas::predictors
