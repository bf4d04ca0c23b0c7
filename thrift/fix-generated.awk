# Post-processes Thrift 0.17 c_glib output at build time (never committed).
#
# 1. The generator's struct finalize functions do not chain up to the parent
#    class, so GObject's own finalize never runs and every decoded or built
#    struct leaks (~136 bytes per call, THRIFT-NOTES.md). Insert the chain-up
#    before the closing brace of every `*_finalize (GObject *object)` that
#    lacks one. The type is named through its get_type function because the
#    generated types are registered by hand (no G_DEFINE_TYPE parent_class).
#
# 2. Its hand-written get_type functions register the type on first use with
#    `if (type == 0) type = g_type_register_static (...)`: two threads that
#    first use a type at once both register it, and GLib's type system breaks
#    (seen: an NM serving two start_containers calls died). Guard them with
#    g_once_init_enter/leave, as G_DEFINE_TYPE does.
/^[a-z0-9_]+_finalize \(GObject \*object\)$/ {
  fn = $1; sub(/_finalize$/, "", fn); infn = 1; chained = 0
}
infn && /->finalize \(/ { chained = 1 }
infn && /^}$/ {
  if (!chained) {
    print "  /* weft: chain up; the 0.17 generator omits it and every instance leaks */"
    print "  G_OBJECT_CLASS (g_type_class_peek_parent (g_type_class_peek (" fn "_get_type ())))->finalize (object);"
    fixed++
  }
  infn = 0
}

/^  static GType type = 0;$/ {
  print "  static gsize type_once = 0; /* weft: registered once, whichever thread comes first */"
  print
  once = 1; guarded++
  next
}
once == 1 && /^ *$/ { print; next }
once == 1 && /^  if \(type == 0\) *$/ {
  print "  if (g_once_init_enter (&type_once))"
  once = 2
  next
}
once == 1 {
  print "fix-generated: unexpected get_type shape in " FILENAME ": " $0 > "/dev/stderr"; bad = 1; exit 1
}
once == 2 && /^  }$/ {
  print "    g_once_init_leave (&type_once, 1);"
  print
  once = 0; left++
  next
}
{ print }
END {
  if (bad) exit 1
  if (fixed == 0 && FILENAME ~ /_types\.c$/) { print "fix-generated: no finalize found in " FILENAME > "/dev/stderr"; exit 1 }
  if (guarded != left) { print "fix-generated: " guarded " get_type guards opened, " left " closed in " FILENAME > "/dev/stderr"; exit 1 }
}
