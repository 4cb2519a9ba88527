# Finds libpg_query (Debian: libpg-query-dev) and defines PgQuery::PgQuery.
find_path(PgQuery_INCLUDE_DIR NAMES pg_query.h)
find_library(PgQuery_LIBRARY NAMES pg_query)
# libpg_query's parse nodes are PostgreSQL 15's; sqlparse/pg_tree.cpp reads them with the
# server's headers (Debian: postgresql-server-dev-15).
find_path(PgQuery_SERVER_INCLUDE_DIR NAMES postgres.h PATH_SUFFIXES postgresql/15/server)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(PgQuery REQUIRED_VARS PgQuery_LIBRARY PgQuery_INCLUDE_DIR PgQuery_SERVER_INCLUDE_DIR)
if(PgQuery_FOUND AND NOT TARGET PgQuery::PgQuery)
  add_library(PgQuery::PgQuery UNKNOWN IMPORTED)
  set_target_properties(PgQuery::PgQuery PROPERTIES
    IMPORTED_LOCATION "${PgQuery_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${PgQuery_INCLUDE_DIR}")
endif()
mark_as_advanced(PgQuery_INCLUDE_DIR PgQuery_LIBRARY PgQuery_SERVER_INCLUDE_DIR)
