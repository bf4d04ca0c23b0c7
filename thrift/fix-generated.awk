# Post-processes Thrift 0.17 c_glib output at build time (never committed).
# The generator's struct finalize functions do not chain up to the parent
# class, so GObject's own finalize never runs and every decoded or built
# struct leaks (~136 bytes per call, THRIFT-NOTES.md). Insert the chain-up
# before the closing brace of every `*_finalize (GObject *object)` that
# lacks one. The type is named through its get_type function because the
# generated types are registered by hand (no G_DEFINE_TYPE parent_class).
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
{ print }
END { if (fixed == 0 && FILENAME ~ /_types\.c$/) { print "fix-generated: no finalize found in " FILENAME > "/dev/stderr"; exit 1 } }
