# examples/: the seeds' scenarios as C drivers, built by make and run by tests/engine/test-examples.
EXAMPLE_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/engine -I$(top_srcdir)/engine/include
EXAMPLE_LIBS = engine/libweft-engine-core.la $(COMMON_LIBS) $(CSV_LIBS) $(LZ4_LIBS)

noinst_PROGRAMS += examples/people examples/marbles examples/write-csv examples/employees
examples_people_SOURCES = examples/people.c
examples_people_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_people_LDADD = $(EXAMPLE_LIBS)
examples_marbles_SOURCES = examples/marbles.c
examples_marbles_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_marbles_LDADD = $(EXAMPLE_LIBS)
examples_write_csv_SOURCES = examples/write-csv.c
examples_write_csv_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_write_csv_LDADD = $(EXAMPLE_LIBS)
examples_employees_SOURCES = examples/employees.c
examples_employees_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_employees_LDADD = $(EXAMPLE_LIBS)

# The DataFrame API end to end (tests/engine/test-dataframe).
check_PROGRAMS += tests/engine/test-dataframe
tests_engine_test_dataframe_SOURCES = tests/engine/test-dataframe.c
tests_engine_test_dataframe_CPPFLAGS = $(EXAMPLE_CPPFLAGS) -DG_LOG_DOMAIN=\"weft-test\"
tests_engine_test_dataframe_LDADD = $(EXAMPLE_LIBS)

# The engine benchmark against DuckDB and Polars, run by hand: bench/engine.sh [ROWS].
noinst_PROGRAMS += bench/bench-engine bench/gen-employees
bench_bench_engine_SOURCES = bench/bench-engine.c
bench_bench_engine_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
bench_bench_engine_LDADD = $(EXAMPLE_LIBS)
bench_gen_employees_SOURCES = bench/gen-employees.c
# The generator needs only GLib, so data can be made while the engine does not build.
bench_gen_employees_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
bench_gen_employees_LDADD = $(GLIB_LIBS)

# The example programs run as a user runs them (tests/engine/test-examples).
check_PROGRAMS += tests/engine/test-examples
tests_engine_test_examples_SOURCES = tests/engine/test-examples.c
tests_engine_test_examples_CPPFLAGS = $(TEST_CPPFLAGS)
tests_engine_test_examples_LDADD = $(COMMON_LIBS)
EXTRA_tests_engine_test_examples_DEPENDENCIES = examples/people$(EXEEXT) examples/marbles$(EXEEXT) \
	examples/write-csv$(EXEEXT) examples/employees$(EXEEXT)

# The DataFrame API's joins, union, distinct, drop, take and aggregates (tests/engine/test-dataframe-ops).
check_PROGRAMS += tests/engine/test-dataframe-ops
tests_engine_test_dataframe_ops_SOURCES = tests/engine/test-dataframe-ops.c
tests_engine_test_dataframe_ops_CPPFLAGS = $(EXAMPLE_CPPFLAGS) -DG_LOG_DOMAIN=\"weft-test\"
tests_engine_test_dataframe_ops_LDADD = $(EXAMPLE_LIBS)

# Sessions: builder, arguments, config files, engine keys, the backend table (tests/engine/test-session).
check_PROGRAMS += tests/engine/test-session
tests_engine_test_session_SOURCES = tests/engine/test-session.c
tests_engine_test_session_CPPFLAGS = $(EXAMPLE_CPPFLAGS) -DG_LOG_DOMAIN=\"weft-test\"
tests_engine_test_session_LDADD = $(EXAMPLE_LIBS)

# The engine's answers against sqlite3 on the same CSV files (tests/engine/test-sqlite).
check_PROGRAMS += tests/engine/test-sqlite
tests_engine_test_sqlite_SOURCES = tests/engine/test-sqlite.c
tests_engine_test_sqlite_CPPFLAGS = $(EXAMPLE_CPPFLAGS) -DG_LOG_DOMAIN=\"weft-test\"
tests_engine_test_sqlite_LDADD = $(EXAMPLE_LIBS)
