/**
 * @file mmarml.h
 * @brief libmmarml: AutoML (hyper-parameter and architecture search) over real training
 * jobs. The only header users include.
 */
#ifndef MMARML_H
#define MMARML_H

#include <jansson.h>

#include "mmarml/common.h"
#include "mmarml/version.h"
#include "mmarml/errors.h"
#include "mmarml/context.h"
#include "mmarml/search_space.h"
#include "mmarml/recommendation.h"
#include "mmarml/controller.h"
#include "mmarml/handler.h"
#include "mmarml/executor.h"
#include "mmarml/pruner.h"
#include "mmarml/engine.h"
#include "mmarml/journal.h"
#include "mmarml/registry.h"
#include "mmarml/reference.h"
#include "mmarml/space_manager.h"
#include "mmarml/mmar.h"

#endif
