# The NM daemon: nm-node (state and logic), nm-rpc* (the wire edge), nm-main.
noinst_LTLIBRARIES += nodemanager/libweft-nmd.la
nodemanager_libweft_nmd_la_SOURCES = \
	nodemanager/nm-node.c nodemanager/nm-node.h \
	nodemanager/nm-rpc.c nodemanager/nm-rpc.h nodemanager/nm-rpc-tracker.c
nodemanager_libweft_nmd_la_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"weft-nm\"
nodemanager_libweft_nmd_la_LIBADD = nodemanager/libweft-nm.la $(COMMON_LIBS)
$(nodemanager_libweft_nmd_la_OBJECTS): $(GEN_DIR)/.stamp

bin_PROGRAMS += nodemanager/weft-nodemanager
nodemanager_weft_nodemanager_SOURCES = nodemanager/nm-main.c
nodemanager_weft_nodemanager_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"weft-nm\"
nodemanager_weft_nodemanager_LDADD = nodemanager/libweft-nmd.la $(COMMON_LIBS)
$(nodemanager_weft_nodemanager_OBJECTS): $(GEN_DIR)/.stamp
