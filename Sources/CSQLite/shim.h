#ifndef TABLECAST_CSQLITE_SHIM_H
#define TABLECAST_CSQLITE_SHIM_H

#include <sqlite3.h>

/// `SQLITE_TRANSIENT` and `SQLITE_STATIC` are macros casting integers to function pointers, which Swift cannot import.
static inline sqlite3_destructor_type tablecast_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

static inline sqlite3_destructor_type tablecast_sqlite_static(void) {
    return SQLITE_STATIC;
}

#endif
