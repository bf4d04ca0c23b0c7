# engine/cluster.mk: the engine's side of the cluster: the cluster backend (weft-backend-cluster.c,
# masters weft/yarn/weft://), its wire edge to the executors (weft-cluster-rpc.c) and an
# application's wire edge to the RM and the NMs (weft-yarn-rpc.c: submit, AM register/allocate/
# finish, container starts), which weft-dshell and weft-submit use too.
engine_libweft_engine_core_la_SOURCES += \
	engine/weft-yarn-rpc.c engine/weft-yarn-rpc.h \
	engine/weft-cluster-rpc.c engine/weft-cluster-rpc.h \
	engine/weft-backend-cluster.c
engine_libweft_engine_core_la_CPPFLAGS += -DBINDIR=\"$(bindir)\"
