#ifndef TABLECAST_CHIREDIS_SHIM_H
#define TABLECAST_CHIREDIS_SHIM_H

#include <hiredis/hiredis.h>

#endif
