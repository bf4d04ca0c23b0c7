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
#
# 3. Its readers read a list's, set's or map's elements as the IDL's type
#    whatever types the container's header declares. The frame validator
#    (weft-rpc-check) walks the elements as declared, so the two disagree:
#    a list<binary> sent as a list<i32> has its integers taken for lengths,
#    and the stock read_binary()/read_string() allocate a length before
#    checking it against the frame (2 GiB from 4 bytes, an abort under a
#    memory limit). After every read_{list,set,map}_begin, insert a check
#    that the declared types are the IDL's and fail with
#    THRIFT_PROTOCOL_ERROR_INVALID_DATA otherwise. The IDL's type is found
#    by reading ahead to the first element read (for a map: the key, then
#    the first read after the key's whole value). Empty containers are let
#    through: nothing is read from them. A container read inside another's
#    loop (list<list<i64>>, map<string, list<i32>>, ...) frees on failure
#    the elements the enclosing loops have begun and not yet stored (the
#    variables declared at the top of each loop body), or each refused
#    message would leak them.
#
# 4. Before reading a binary value the readers free the previous one with
#    g_free(), but it is a GByteArray: a binary field sent twice in one
#    struct aborts the process ("free(): invalid pointer"), and so does a
#    non-NULL binary out-parameter given to a client call. Free it with
#    g_byte_array_unref(). (weft-rpc-check also refuses repeated fields.)
#
# Steps 1 and 2 are done line by line; the output is held in `out` and steps
# 3 and 4, which need to look ahead, run over it at the end. Every rewrite
# checks the shape it expects and fails the build if the generator changed.

function emit(line) { out[++n] = line }

/^[a-z0-9_]+_finalize \(GObject \*object\)$/ {
  fn = $1; sub(/_finalize$/, "", fn); infn = 1; chained = 0
}
infn && /->finalize \(/ { chained = 1 }
infn && /^}$/ {
  if (!chained) {
    emit("  /* weft: chain up; the 0.17 generator omits it and every instance leaks */")
    emit("  G_OBJECT_CLASS (g_type_class_peek_parent (g_type_class_peek (" fn "_get_type ())))->finalize (object);")
    fixed++
  }
  infn = 0
}

/^  static GType type = 0;$/ {
  emit("  static gsize type_once = 0; /* weft: registered once, whichever thread comes first */")
  emit($0)
  once = 1; guarded++
  next
}
once == 1 && /^ *$/ { emit($0); next }
once == 1 && /^  if \(type == 0\) *$/ {
  emit("  if (g_once_init_enter (&type_once))")
  once = 2
  next
}
once == 1 {
  print "fix-generated: unexpected get_type shape in " FILENAME ": " $0 > "/dev/stderr"; bad = 1; exit 1
}
once == 2 && /^  }$/ {
  emit("    g_once_init_leave (&type_once, 1);")
  emit($0)
  once = 0; left++
  next
}
{ emit($0) }

function die(i, what) {
  print "fix-generated: " what " at output line " i " of " FILENAME ": " out[i] > "/dev/stderr"
  bad = 1
  exit 1
}

# The wire type a line reads ("T_I32", ..., "T_LIST"), "END" for the end of
# a container, or "" for a line that reads nothing.
function read_type(line) {
  if (line ~ /thrift_protocol_read_(list|set|map)_end \(/) return "END"
  if (line ~ /thrift_protocol_read_list_begin \(/) return "T_LIST"
  if (line ~ /thrift_protocol_read_set_begin \(/) return "T_SET"
  if (line ~ /thrift_protocol_read_map_begin \(/) return "T_MAP"
  if (line ~ /thrift_struct_read \(/) return "T_STRUCT"
  if (line ~ /thrift_protocol_read_(string|binary) \(/) return "T_STRING"
  if (line ~ /thrift_protocol_read_bool \(/) return "T_BOOL"
  if (line ~ /thrift_protocol_read_byte \(/) return "T_BYTE"
  if (line ~ /thrift_protocol_read_i16 \(/) return "T_I16"
  if (line ~ /thrift_protocol_read_i32 \(/) return "T_I32"
  if (line ~ /thrift_protocol_read_i64 \(/) return "T_I64"
  if (line ~ /thrift_protocol_read_double \(/) return "T_DOUBLE"
  return ""
}

# The first line after @i that reads a value (not an END): the start of the
# next element. Dies at an END first: the container has no element read.
function next_read(i,   t) {
  for (i++; i <= n; i++) {
    t = read_type(out[i])
    if (t == "END") die(i, "container without an element read")
    if (t != "") return i
  }
  die(n, "container without an element read")
}

# The last line of the value whose read starts at @i: @i itself, or for a
# container the line of its matching read_*_end.
function value_end(i,   depth, t) {
  if (read_type(out[i]) !~ /^T_(LIST|SET|MAP)$/) return i
  depth = 0
  for (; i <= n; i++) {
    t = read_type(out[i])
    if (t ~ /^T_(LIST|SET|MAP)$/) depth++
    else if (t == "END" && --depth == 0) return i
  }
  die(n, "container without its end")
}

# The statements that free the element variables declared at the top of
# the loop of the container read at @b (one per line, "@" for the indent),
# for the failure of a container read nested in that loop.
function loop_frees(b,   j, k, frees, decl, name, type, fn) {
  for (j = b + 3; j <= end_of[b]; j++)
    if (out[j] ~ /^ *for \(i = 0; i < size; (i\+\+|\+\+i)\)$/) break
  if (j > end_of[b] || out[j + 1] !~ /^ *[{]$/) die(b, "container read without its loop")
  frees = ""
  for (k = j + 2; out[k] ~ /^ *[A-Za-z_][A-Za-z0-9_]*( \* |\* | )[A-Za-z_][A-Za-z0-9_]*( = .*)?;$/; k++) {
    if (out[k] !~ /\*/) continue           # gint32 ecast3; weftColor key5;
    decl = out[k]
    sub(/ = .*$/, "", decl)
    sub(/^ */, "", decl)
    name = decl
    sub(/^.*[* ]/, "", name)
    type = decl
    sub(/ ?\*.*$/, "", type)
    if (type == "gchar") fn = "g_free"
    else if (type == "GByteArray") fn = "g_byte_array_unref"
    else if (type == "GArray") fn = "g_array_unref"
    else if (type == "GPtrArray") fn = "g_ptr_array_unref"
    else if (type == "GHashTable") fn = "g_hash_table_unref"
    else if (out[k] ~ / = g_new \(/) fn = "g_free"
    else if (type ~ /^[a-z]+[A-Z][A-Za-z0-9]*$/ && out[k] ~ / = NULL;$/) fn = "g_object_unref"
    else die(k, "element of an unknown kind")
    frees = frees "@  if (" name " != NULL)\n@    " fn " (" name ");\n"
  }
  return frees
}

END {
  if (bad) exit 1
  if (fixed == 0 && FILENAME ~ /_types\.c$/) { print "fix-generated: no finalize found in " FILENAME > "/dev/stderr"; exit 1 }
  if (guarded != left) { print "fix-generated: " guarded " get_type guards opened, " left " closed in " FILENAME > "/dev/stderr"; exit 1 }

  for (i = 1; i <= n; i++) {
    line = out[i]

    # Step 4: `if (X != NULL) { g_free(X); X = NULL; }` before a binary read.
    if (line ~ /thrift_protocol_read_binary \(/) {
      binaries++
      j = i - 1
      while (j > 0 && out[j] ~ /^ *$/) j--
      if (out[j] !~ /^ *[}]$/ || out[j - 1] !~ /= NULL;$/ || out[j - 2] !~ /^ *g_free\(.*\);$/ \
          || out[j - 3] !~ /^ *[{]$/ || out[j - 4] !~ /!= NULL\)$/)
        die(i, "binary read without the expected free before it")
      sub(/g_free\(/, "g_byte_array_unref (", out[j - 2])
      continue
    }

    # Step 3: the element types of every container read.
    kind = read_type(line)
    if (kind !~ /^T_(LIST|SET|MAP)$/) continue
    # The container reads this one is nested in, innermost on top.
    end_of[i] = value_end(i)
    while (sp > 0 && end_of[stack[sp]] < i) sp--
    frees = ""
    for (t = sp; t >= 1; t--) frees = frees loop_frees(stack[t])
    stack[++sp] = i
    if (line !~ /^ *if \(\(ret = thrift_protocol_read_(list|set|map)_begin \(protocol, &/ \
        || out[i + 1] !~ /^ *return [^;]*;$/ || out[i + 2] !~ /^ *xfer \+= ret;$/)
      die(i, "unexpected container read")
    failure = out[i + 1]
    sub(/^ */, "", failure)
    indent = line
    sub(/[^ ].*$/, "", indent)
    if (kind == "T_MAP") {
      if (index(line, "&key_type, &value_type, &size,") == 0) die(i, "unexpected map read")
      k = next_read(i)
      v = next_read(value_end(k))
      cond = "key_type != " read_type(out[k]) " || value_type != " read_type(out[v])
      found = "(int) key_type, (int) value_type"
      fmt = "map of wire types %d to %d where the IDL has %d to %d"
      expect = "(int) " read_type(out[k]) ", (int) " read_type(out[v])
    } else {
      if (line !~ /&element_type, ?&size,/) die(i, "unexpected list or set read")
      e = read_type(out[next_read(i)])
      cond = "element_type != " e
      found = "(int) element_type"
      fmt = (kind == "T_LIST" ? "list" : "set") " of wire type %d where the IDL has %d"
      expect = "(int) " e
    }
    checks++
    gsub(/@/, indent, frees)
    extra[i + 2] = \
      indent "/* weft: the elements must have the IDL's types, or the reads below take\n" \
      indent "   their bytes for lengths the validator never checked (fix-generated.awk) */\n" \
      indent "if (size > 0 && (" cond "))\n" \
      indent "{\n" \
      indent "  g_set_error (error, THRIFT_PROTOCOL_ERROR, THRIFT_PROTOCOL_ERROR_INVALID_DATA,\n" \
      indent "               \"" fmt "\", " found ", " expect ");\n" \
      frees \
      indent "  " failure "\n" \
      indent "}"
  }

  for (i = 1; i <= n; i++) {
    print out[i]
    if (i in extra) print extra[i]
  }
}
