// Precompiled header for the LibTorch targets: external headers only, never hwnas headers.
#pragma once

#include <torch/nn.h>
#include <torch/optim.h>
#include <torch/types.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>
