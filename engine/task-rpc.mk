# engine/task-rpc.mk: weft-task-rpc, the wire edge of tasks and their outcomes (engine.thrift).
# Included from the top Makefile.am. The engine's core now holds generated Thrift code and the
# RPC layer: libweft-common.la brings both (its archive already holds libweft-thrift's objects,
# so libweft-thrift.la is not added again: its objects would be in the core twice and
# libweft.so would not link). libweft.so stays self-contained: it links the core whole.
engine_libweft_engine_core_la_SOURCES += engine/weft-task-rpc.c engine/weft-task-rpc.h
engine_libweft_engine_core_la_LIBADD += common/libweft-common.la $(THRIFT_C_GLIB_LIBS)
ENGINE_CORE_LIBS += $(THRIFT_C_GLIB_LIBS)
engine_libweft_la_LIBADD += $(THRIFT_C_GLIB_LIBS)
# weft-task-rpc.c includes generated headers: wait for them, also when one target is made.
$(engine_libweft_engine_core_la_OBJECTS): $(GEN_DIR)/.stamp

check_PROGRAMS += tests/engine/test-task-rpc
tests_engine_test_task_rpc_SOURCES = tests/engine/test-task-rpc.c
tests_engine_test_task_rpc_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_task_rpc_LDADD = $(ENGINE_CORE_LIBS) $(LZ4_LIBS)
$(tests_engine_test_task_rpc_OBJECTS): $(GEN_DIR)/.stamp
