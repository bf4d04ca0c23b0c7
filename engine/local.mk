# engine/: libweft, the DataFrame engine.

# The engine's core: schemas, columns, batches, value parsing and the CSV source.
noinst_LTLIBRARIES += engine/libweft-engine-core.la
engine_libweft_engine_core_la_SOURCES = \
	engine/weft-engine-error.c engine/weft-engine-error.h \
	engine/weft-spark-conf.c engine/weft-spark-conf.h \
	engine/weft-schema.c engine/weft-schema.h \
	engine/weft-column.c engine/weft-column.h \
	engine/weft-selection.c engine/weft-selection.h \
	engine/weft-batch.c engine/weft-batch.h \
	engine/weft-parse.c engine/weft-parse.h \
	engine/weft-csv-options.c engine/weft-csv-options.h \
	engine/weft-csv.c engine/weft-csv.h engine/weft-csv-private.h
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

# ---- Output: CSV writing with Spark's semantics, the output commit protocol, show(). ----------
engine_libweft_engine_core_la_SOURCES += \
	engine/weft-value-text.c engine/weft-value-text.h \
	engine/weft-csv-write.c engine/weft-csv-write.h \
	engine/weft-output-job.c engine/weft-output-job.h engine/weft-output-job-private.h \
	engine/weft-show.c engine/weft-show.h

check_PROGRAMS += tests/engine/test-show
tests_engine_test_show_SOURCES = tests/engine/test-show.c
tests_engine_test_show_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_show_LDADD = $(ENGINE_CORE_LIBS)

check_PROGRAMS += tests/engine/test-csv-write
tests_engine_test_csv_write_SOURCES = tests/engine/test-csv-write.c
tests_engine_test_csv_write_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_csv_write_LDADD = $(ENGINE_CORE_LIBS)

# ---- Stateful operators: hash aggregation, sort, hash join (and their hashing and spill files).
engine_libweft_engine_core_la_SOURCES += \
	engine/weft-operator.h \
	engine/weft-hash.c engine/weft-hash.h \
	engine/weft-spill.c engine/weft-spill.h \
	engine/weft-hash-agg.c engine/weft-hash-agg.h \
	engine/weft-sort.c engine/weft-sort.h \
	engine/weft-hash-join.c engine/weft-hash-join.h
engine_libweft_engine_core_la_LIBADD += $(LZ4_LIBS)

check_PROGRAMS += tests/engine/test-hash-agg
tests_engine_test_hash_agg_SOURCES = tests/engine/test-hash-agg.c
tests_engine_test_hash_agg_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_hash_agg_LDADD = $(ENGINE_CORE_LIBS) $(LZ4_LIBS)

check_PROGRAMS += tests/engine/test-sort
tests_engine_test_sort_SOURCES = tests/engine/test-sort.c
tests_engine_test_sort_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_sort_LDADD = $(ENGINE_CORE_LIBS) $(LZ4_LIBS)

check_PROGRAMS += tests/engine/test-hash-join
tests_engine_test_hash_join_SOURCES = tests/engine/test-hash-join.c
tests_engine_test_hash_join_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_hash_join_LDADD = $(ENGINE_CORE_LIBS) $(LZ4_LIBS)

# Run by hand: bench/bench-operators [ROWS]
noinst_PROGRAMS += bench/bench-operators
bench_bench_operators_SOURCES = bench/bench-operators.c
bench_bench_operators_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
bench_bench_operators_LDADD = $(ENGINE_CORE_LIBS) $(LZ4_LIBS)

# --------------------------------------------------------------------------
# Expressions: trees, resolution, folding, printing and vectorized evaluation.
engine_libweft_engine_core_la_SOURCES += \
	engine/weft-expr.c engine/weft-expr.h engine/weft-expr-private.h \
	engine/weft-expr-eval.c engine/weft-expr-eval.h \
	engine/weft-expr-func.c

check_PROGRAMS += tests/engine/test-expr
tests_engine_test_expr_SOURCES = tests/engine/test-expr.c
tests_engine_test_expr_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_expr_LDADD = $(ENGINE_CORE_LIBS)

# Run by hand: bench/bench-expr [ROWS]
noinst_PROGRAMS += bench/bench-expr
bench_bench_expr_SOURCES = bench/bench-expr.c
bench_bench_expr_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
bench_bench_expr_LDADD = $(ENGINE_CORE_LIBS)

# --------------------------------------------------------------------------
# The logical plan, the optimizer and the local executor.
engine_libweft_engine_core_la_SOURCES += \
	engine/weft-plan.c engine/weft-plan.h \
	engine/weft-optimizer.c engine/weft-optimizer.h \
	engine/weft-physical.c engine/weft-physical.h \
	engine/weft-exec.c engine/weft-exec.h \
	engine/weft-task.c engine/weft-task.h engine/weft-task-run.c
engine_libweft_engine_core_la_SOURCES += \
	engine/include/weft/weft-backend.h engine/weft-backend.c engine/weft-backend-local.c \
	engine/weft-dataframe.c engine/include/weft/weft.h
engine_libweft_engine_core_la_CPPFLAGS += -I$(top_srcdir)/engine/include

# ---- The installed library: libweft.so, its headers under $(includedir)/weft, and weft.pc, so a
# driver builds with `cc app.c $(pkg-config --cflags --libs weft)` and includes <weft/weft.h>.
lib_LTLIBRARIES = engine/libweft.la
engine_libweft_la_SOURCES =
# An empty C source list: link with the C compiler.
nodist_EXTRA_engine_libweft_la_SOURCES = engine/weft-empty.c
engine_libweft_la_LIBADD = engine/libweft-engine-core.la $(CSV_LIBS) $(LZ4_LIBS) $(GLIB_LIBS) -lm
engine_libweft_la_LDFLAGS = -version-info 0:0:0 -no-undefined
weftincludedir = $(includedir)/weft
weftinclude_HEADERS = \
	engine/include/weft/weft.h engine/include/weft/weft-backend.h \
	engine/weft-batch.h engine/weft-column.h engine/weft-csv-options.h engine/weft-expr.h \
	engine/weft-hash-agg.h engine/weft-hash-join.h engine/weft-operator.h engine/weft-parse.h \
	engine/weft-plan.h engine/weft-schema.h engine/weft-selection.h
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = engine/weft.pc

check_PROGRAMS += tests/engine/test-exec
tests_engine_test_exec_SOURCES = tests/engine/test-exec.c
tests_engine_test_exec_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine -I$(top_srcdir)/engine/include
tests_engine_test_exec_LDADD = $(ENGINE_CORE_LIBS) $(LZ4_LIBS)

check_PROGRAMS += tests/engine/test-spark-conf
tests_engine_test_spark_conf_SOURCES = tests/engine/test-spark-conf.c
tests_engine_test_spark_conf_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_spark_conf_LDADD = $(ENGINE_CORE_LIBS)
