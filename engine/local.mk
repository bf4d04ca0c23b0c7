# engine/: libweft, the DataFrame engine.

# The engine's core: schemas, columns, batches, value parsing and the CSV source.
noinst_LTLIBRARIES += engine/libweft-engine-core.la
engine_libweft_engine_core_la_SOURCES = \
	engine/weft-engine-error.c engine/weft-engine-error.h \
	engine/weft-schema.c engine/weft-schema.h \
	engine/weft-column.c engine/weft-column.h \
	engine/weft-selection.c engine/weft-selection.h \
	engine/weft-batch.c engine/weft-batch.h \
	engine/weft-parse.c engine/weft-parse.h \
	engine/weft-csv-options.c engine/weft-csv-options.h \
	engine/weft-csv.c engine/weft-csv.h
engine_libweft_engine_core_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/engine \
	-DG_LOG_DOMAIN=\"weft-engine\"
engine_libweft_engine_core_la_LIBADD = $(CSV_LIBS) $(GLIB_LIBS) -lm

ENGINE_CORE_LIBS = engine/libweft-engine-core.la $(CSV_LIBS) $(GLIB_LIBS) -lm

check_PROGRAMS += tests/engine/test-batch
tests_engine_test_batch_SOURCES = tests/engine/test-batch.c
tests_engine_test_batch_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_batch_LDADD = $(ENGINE_CORE_LIBS)

check_PROGRAMS += tests/engine/test-csv
tests_engine_test_csv_SOURCES = tests/engine/test-csv.c
tests_engine_test_csv_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_csv_LDADD = $(ENGINE_CORE_LIBS)

# Run by hand: bench/bench-csv [ROWS]
noinst_PROGRAMS += bench/bench-csv
bench_bench_csv_SOURCES = bench/bench-csv.c
bench_bench_csv_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
bench_bench_csv_LDADD = $(ENGINE_CORE_LIBS)
