#include "app/cli_docs.h"
