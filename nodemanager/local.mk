# nodemanager/: the NodeManager's process-level core (cgroups, the memory monitor, the container
# launcher) as a library; the NM daemon and its RPC handlers build on it.

noinst_LTLIBRARIES += nodemanager/libweft-nm.la
nodemanager_libweft_nm_la_SOURCES = \
	nodemanager/weft-nm-error.c nodemanager/weft-nm-error.h \
	nodemanager/nm-cgroup.c nodemanager/nm-cgroup.h \
	nodemanager/nm-monitor.c nodemanager/nm-monitor.h \
	nodemanager/nm-launcher.c nodemanager/nm-launcher.h
nodemanager_libweft_nm_la_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"weft-nm\"
nodemanager_libweft_nm_la_LIBADD = $(COMMON_LIBS)
