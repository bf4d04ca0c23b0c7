/* weft-conf.c: the table of every configuration key, and the layered loader over it.
 *
 * Values are staged as a list of changes and committed only when a whole layer (a folder, the
 * environment, one --conf) has parsed, so a failed load never leaves half a file applied. */

#include "weft-conf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (weft-conf-error-quark, weft_conf_error)

/* ---- The table ---------------------------------------------------------------------------- */

typedef enum {
  TYPE_STRING,
  TYPE_INT,
  TYPE_BOOL,
  TYPE_SIZE,
  TYPE_DURATION,
  TYPE_DOUBLE,
  TYPE_ENUM,
} KeyType;

static const char *const type_names[] = {
  [TYPE_STRING] = "string",     [TYPE_INT] = "int",       [TYPE_BOOL] = "bool",
  [TYPE_SIZE] = "size",         [TYPE_DURATION] = "duration", [TYPE_DOUBLE] = "double",
  [TYPE_ENUM] = "enum",
};

typedef struct
{
  const char *name;    /* "group.key"; an instance row's group is "KIND.*" */
  KeyType type;
  const char *def;     /* the default, parsed by the same parser as user input */
  const char *min;     /* inclusive bounds in the key's units, NULL = none (INT, SIZE, DURATION, DOUBLE) */
  const char *max;
  const char *choices; /* ENUM: "a|b|c" */
  const char *doc;     /* one line, for weft_conf_template() */
} KeyDef;

#define KEY(name, type, def, min, max, doc) { name, TYPE_##type, def, min, max, NULL, doc }
#define ENUM_KEY(name, def, choices, doc) { name, TYPE_ENUM, def, NULL, NULL, choices, doc }

/* Add keys here, and regenerate conf/weft-site.conf with weft_conf_template() (the test
 * /common/conf/template/site-file says when it is stale). Ports may be 0 (ephemeral) for tests. */
static const KeyDef keys[] = {
  ENUM_KEY ("log.level", "message", "error|warning|message|info|debug",
            "Least severe messages logged; each --verbose raises it (once: info, twice: debug)."),

  KEY ("rpc.max-message-size", SIZE, "8m", "1k", "1g", "Largest RPC message a server accepts or a client sends."),
  KEY ("rpc.max-depth", INT, "64", "4", "1000", "Deepest nesting of structs and containers a decoder accepts."),
  KEY ("rpc.connect-timeout", DURATION, "5s", "1ms", "10m", "How long a client waits for a connection."),
  KEY ("rpc.call-timeout", DURATION, "30s", "1ms", "1h", "How long a client waits for the answer to one call."),
  KEY ("rpc.idle-timeout", DURATION, "60s", "10ms", "1d", "A server closes a connection idle for this long."),
  KEY ("rpc.max-connections", INT, "256", "1", "65536", "Connections a server serves at once."),
  KEY ("rpc.retries", INT, "3", "0", "100", "How many times a client retries a call that failed to connect."),
  KEY ("rpc.retry-backoff", DURATION, "100ms", "1ms", "1m", "Wait before the first retry; it doubles after each."),
  KEY ("rpc.bind-address", STRING, "0.0.0.0", NULL, NULL, "Address every server listens on."),

  KEY ("security.enabled", BOOL, "true", NULL, NULL,
       "Require tokens on every port (off only for throwaway test clusters)."),
  KEY ("security.secret-file", STRING, "", NULL, NULL,
       "Cluster secret shared by the RM and NMs; empty means weft.secret in the config folder."),
  KEY ("security.client-token-file", STRING, "", NULL, NULL,
       "Client token of weft and weft-submit; empty means client.token in the config folder."),

  KEY ("rm.hostname", STRING, "127.0.0.1", NULL, NULL, "Host name clients and NMs use to reach the RM."),
  KEY ("rm.client-port", INT, "8032", "0", "65535", "Client service port (0 = ephemeral)."),
  KEY ("rm.scheduler-port", INT, "8030", "0", "65535", "Application master service port (0 = ephemeral)."),
  KEY ("rm.tracker-port", INT, "8031", "0", "65535", "Resource tracker (NM) service port (0 = ephemeral)."),
  KEY ("rm.admin-port", INT, "8033", "0", "65535", "Admin service port (0 = ephemeral)."),
  KEY ("rm.web-port", INT, "8088", "0", "65535", "Web UI and REST port (0 = ephemeral)."),
  ENUM_KEY ("rm.scheduler", "capacity", "fifo|capacity", "Scheduler plugin."),
  KEY ("rm.nm-expiry", DURATION, "30s", "100ms", "1d", "An NM silent for this long is lost."),
  KEY ("rm.am-expiry", DURATION, "10m", "100ms", "1d", "An application master silent for this long is lost."),
  KEY ("rm.am-max-attempts", INT, "2", "1", "100", "Attempts of an application master before the application fails."),
  KEY ("rm.state-dir", STRING, "", NULL, NULL, "Folder of the RM state store; empty keeps state in memory only."),
  KEY ("rm.port-file", STRING, "", NULL, NULL, "File the RM writes the ports it bound to; empty for none."),
  KEY ("rm.staging-max-bytes", SIZE, "2g", "1k", "1t", "Largest file a client may stage for its application."),

  KEY ("nm.hostname", STRING, "127.0.0.1", NULL, NULL, "Host name the RM and AMs use to reach this NM."),
  KEY ("nm.port", INT, "0", "0", "65535", "Container manager port (0 = ephemeral)."),
  KEY ("nm.web-port", INT, "8042", "0", "65535", "Web UI and log port (0 = ephemeral)."),
  KEY ("nm.vcores", INT, "0", "0", "4096", "Virtual cores offered to containers (0 = the machine's CPUs)."),
  KEY ("nm.memory", SIZE, "0", NULL, NULL, "Memory offered to containers (0 = physical memory less memory-reserve)."),
  KEY ("nm.memory-reserve", SIZE, "1g", NULL, NULL, "Memory left to the system when memory is 0 (detected)."),
  KEY ("nm.heartbeat-interval", DURATION, "1s", "10ms", "1m", "Time between two heartbeats to the RM."),
  KEY ("nm.work-dir", STRING, "", NULL, NULL, "Folder of container work folders; empty for a temporary folder."),
  KEY ("nm.log-dir", STRING, "", NULL, NULL, "Folder of container logs; empty for one inside work-dir."),
  ENUM_KEY ("nm.cgroups", "auto", "auto|v1|v2|none",
            "Resource enforcement: cgroups v1 or v2, auto-detect, or none (monitor only)."),
  KEY ("nm.port-file", STRING, "", NULL, NULL, "File the NM writes the ports it bound to; empty for none."),

  /* [queue.NAME]: capacity scheduler queues. */
  KEY ("queue.*.capacity", DOUBLE, "0", "0", "100", "Guaranteed share of the parent queue, in percent."),
  KEY ("queue.*.max-capacity", DOUBLE, "100", "0", "100", "Most of the parent queue it may use, in percent."),
  KEY ("queue.*.user-limit-factor", DOUBLE, "1", "0", NULL, "Multiple of the queue's capacity one user may use."),
  KEY ("queue.*.minimum-user-limit-percent", INT, "100", "1", "100",
       "Least share, in percent, each active user is guaranteed."),
  KEY ("queue.*.max-am-share", DOUBLE, "0.1", "0", "1", "Largest fraction of the queue used by application masters."),
  ENUM_KEY ("queue.*.state", "running", "running|stopped", "A stopped queue accepts no new applications."),
  KEY ("queue.*.acl-submit", STRING, "*", NULL, NULL, "Users allowed to submit (comma-separated, * = all)."),
  KEY ("queue.*.acl-admin", STRING, "*", NULL, NULL, "Users allowed to administer applications (comma-separated, * = all)."),
};

#define N_KEYS G_N_ELEMENTS (keys)

/* Instance kinds, for the template. Every "KIND.*" group in keys[] has a row here. */
static const struct
{
  const char *kind;
  const char *example; /* an instance name for the template */
  const char *doc;
} kinds[] = {
  { "queue", "root", "Capacity scheduler queues, one group per queue: [queue.root], [queue.root.prod], ..." },
};

static gsize
row_group_len (const KeyDef *k)
{
  return (gsize) (strrchr (k->name, '.') - k->name);
}

static const char *
row_key (const KeyDef *k)
{
  return strrchr (k->name, '.') + 1;
}

static gboolean
row_is_instance (const KeyDef *k)
{
  gsize len = row_group_len (k);
  return len >= 2 && k->name[len - 1] == '*' && k->name[len - 2] == '.';
}

/* Length of an instance row's kind ("queue" in "queue.*.capacity"). */
static gsize
row_kind_len (const KeyDef *k)
{
  return row_group_len (k) - 2;
}

static gboolean
row_in_group (const KeyDef *k, const char *group)
{
  gsize len = row_group_len (k);
  return !row_is_instance (k) && strncmp (k->name, group, len) == 0 && group[len] == '\0';
}

static gboolean
row_of_kind (const KeyDef *k, const char *kind)
{
  return row_is_instance (k) && strncmp (k->name, kind, row_kind_len (k)) == 0 && kind[row_kind_len (k)] == '\0';
}

static int
find_global_row (const char *group, const char *key)
{
  for (gsize i = 0; i < N_KEYS; i++)
    if (row_in_group (&keys[i], group) && strcmp (row_key (&keys[i]), key) == 0)
      return (int) i;
  return -1;
}

static int
find_instance_row (const char *kind, const char *key)
{
  for (gsize i = 0; i < N_KEYS; i++)
    if (row_of_kind (&keys[i], kind) && strcmp (row_key (&keys[i]), key) == 0)
      return (int) i;
  return -1;
}

static gboolean
is_global_group (const char *group)
{
  for (gsize i = 0; i < N_KEYS; i++)
    if (row_in_group (&keys[i], group))
      return TRUE;
  return FALSE;
}

static gboolean
is_kind (const char *kind)
{
  for (gsize i = 0; i < N_KEYS; i++)
    if (row_of_kind (&keys[i], kind))
      return TRUE;
  return FALSE;
}

/* If @group is "KIND.NAME" for a known KIND, returns the row index of one of KIND's rows and
 * points @name at NAME (possibly empty); else -1. */
static int
match_kind (const char *group, const char **name)
{
  for (gsize i = 0; i < N_KEYS; i++)
    {
      const KeyDef *k = &keys[i];
      gsize len;

      if (!row_is_instance (k))
        continue;
      len = row_kind_len (k);
      if (strncmp (group, k->name, len) == 0 && group[len] == '.')
        {
          *name = group + len + 1;
          return (int) i;
        }
    }
  return -1;
}

/* Instance names are dot-separated components of [A-Za-z0-9_-], like queue paths "root.prod". */
static gboolean
is_valid_instance_name (const char *name)
{
  gboolean at_start = TRUE;

  for (const char *p = name; *p; p++)
    {
      if (*p == '.')
        {
          if (at_start)
            return FALSE;
          at_start = TRUE;
        }
      else if (g_ascii_isalnum (*p) || *p == '_' || *p == '-')
        at_start = FALSE;
      else
        return FALSE;
    }
  return !at_start;
}

static char *
env_name (const KeyDef *k)
{
  char *name = g_strconcat ("WEFT_", k->name, NULL);

  for (char *p = name; *p; p++)
    *p = (*p == '-' || *p == '.') ? '_' : g_ascii_toupper (*p);
  return name;
}

/* ---- Sizes and durations ------------------------------------------------------------------ */

typedef struct
{
  const char *suffix; /* lower case */
  gint64 mult;
} Unit;

#define KIB ((gint64) 1 << 10)
#define MIB ((gint64) 1 << 20)
#define GIB ((gint64) 1 << 30)
#define TIB ((gint64) 1 << 40)

static const Unit size_units[] = {
  { "", 1 },      { "b", 1 },      { "k", KIB },    { "kb", KIB }, { "kib", KIB }, { "m", MIB },
  { "mb", MIB },  { "mib", MIB },  { "g", GIB },    { "gb", GIB }, { "gib", GIB }, { "t", TIB },
  { "tb", TIB },  { "tib", TIB },  { NULL, 0 },
};

/* For formatting: largest first. */
static const Unit size_format_units[] = {
  { "t", TIB }, { "g", GIB }, { "m", MIB }, { "k", KIB }, { "b", 1 }, { NULL, 0 },
};

static const Unit duration_units[] = {
  { "d", G_GINT64_CONSTANT (86400000000) }, { "h", G_GINT64_CONSTANT (3600000000) },
  { "m", G_GINT64_CONSTANT (60000000) },    { "s", G_GINT64_CONSTANT (1000000) },
  { "ms", 1000 },                           { "us", 1 },
  { NULL, 0 },
};

typedef enum {
  Q_OK,
  Q_NOT_A_NUMBER, /* empty, or no leading digit */
  Q_NEGATIVE,
  Q_NO_UNIT,      /* a bare nonzero number where a unit is required */
  Q_BAD_UNIT,
  Q_FRACTION,     /* a fraction of the base unit (bytes, microseconds) */
  Q_OVERFLOW,
} QStatus;

/* Parses "<digits>[.<digits>] [unit]" with surrounding spaces. A fraction is computed exactly:
 * floor(F * mult / 10^n) = F * (mult / 10^n) + F * (mult % 10^n) / 10^n, with at most 9 fraction
 * digits kept (F < 10^9), so nothing overflows 64 bits and "0.3d" is exact, unlike with doubles.
 * On Q_BAD_UNIT, @bad_unit gets the unit as written. */
static QStatus
parse_quantity (const char *text, const Unit *units, gboolean unit_required, gint64 *out, char **bad_unit)
{
  const char *p = text, *end = text + strlen (text);
  guint64 whole = 0, frac = 0, frac_scale = 1;
  gboolean overflow = FALSE, nonzero_frac = FALSE;
  g_autofree char *unit = NULL;
  const Unit *u;
  gint64 mult, total;

  while (g_ascii_isspace (*p))
    p++;
  while (end > p && g_ascii_isspace (end[-1]))
    end--;
  if (p < end && *p == '-')
    return Q_NEGATIVE;
  if (p == end || !g_ascii_isdigit (*p))
    return Q_NOT_A_NUMBER;
  for (; p < end && g_ascii_isdigit (*p); p++)
    {
      guint d = (guint) (*p - '0');
      if (whole > (G_MAXUINT64 - d) / 10)
        overflow = TRUE;
      else
        whole = whole * 10 + d;
    }
  if (p < end && *p == '.')
    {
      p++;
      if (p == end || !g_ascii_isdigit (*p))
        return Q_NOT_A_NUMBER;
      for (; p < end && g_ascii_isdigit (*p); p++)
        {
          if (*p != '0')
            nonzero_frac = TRUE;
          if (frac_scale < 1000000000)
            {
              frac = frac * 10 + (guint64) (*p - '0');
              frac_scale *= 10;
            }
        }
    }
  while (p < end && g_ascii_isspace (*p))
    p++;
  unit = g_ascii_strdown (p, end - p);
  for (u = units; u->suffix; u++)
    if (strcmp (u->suffix, unit) == 0)
      break;
  if (!u->suffix)
    {
      if (*unit == '\0' && unit_required)
        return (whole == 0 && !nonzero_frac && !overflow) ? (*out = 0, Q_OK) : Q_NO_UNIT;
      if (bad_unit)
        *bad_unit = g_strndup (p, end - p);
      return Q_BAD_UNIT;
    }
  mult = u->mult;
  if (mult == 1 && nonzero_frac)
    return Q_FRACTION;
  if (overflow || whole > (guint64) (G_MAXINT64 / mult))
    return Q_OVERFLOW;
  total = (gint64) whole * mult;
  if (frac != 0)
    {
      gint64 scale = (gint64) frac_scale;
      gint64 extra = (gint64) frac * (mult / scale) + (gint64) frac * (mult % scale) / scale;
      if (extra > G_MAXINT64 - total)
        return Q_OVERFLOW;
      total += extra;
    }
  *out = total;
  return Q_OK;
}

gboolean
weft_parse_size (const char *text, gint64 *out_bytes, GError **error)
{
  g_autofree char *unit = NULL;
  gint64 value = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out_bytes != NULL, FALSE);

  switch (parse_quantity (text, size_units, FALSE, &value, &unit))
    {
    case Q_OK:
      *out_bytes = value;
      return TRUE;
    case Q_NEGATIVE:
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
                   "\"%s\" is not a size: sizes cannot be negative", text);
      return FALSE;
    case Q_BAD_UNIT:
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
                   "\"%s\" is not a size: unknown unit \"%s\" (use k, m, g or t, powers of 1024)", text, unit);
      return FALSE;
    case Q_FRACTION:
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
                   "\"%s\" is not a size: a number of bytes must be whole", text);
      return FALSE;
    case Q_OVERFLOW:
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
                   "\"%s\" is too large for a size (at most %" G_GINT64_FORMAT " bytes)", text, G_MAXINT64);
      return FALSE;
    case Q_NOT_A_NUMBER:
    case Q_NO_UNIT:
    default:
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
                   "\"%s\" is not a size: expected a number of bytes with an optional unit "
                   "(k, m, g, t), e.g. 512m",
                   text);
      return FALSE;
    }
}

gboolean
weft_parse_duration (const char *text, gint64 *out_usec, GError **error)
{
  g_autofree char *unit = NULL;
  g_autofree char *number = NULL;
  gint64 value = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out_usec != NULL, FALSE);

  switch (parse_quantity (text, duration_units, TRUE, &value, &unit))
    {
    case Q_OK:
      *out_usec = value;
      return TRUE;
    case Q_NEGATIVE:
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
                   "\"%s\" is not a duration: durations cannot be negative", text);
      return FALSE;
    case Q_NO_UNIT:
      number = g_strstrip (g_strdup (text));
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
                   "\"%s\" is not a duration: add a unit (ms, s, m, h), e.g. %ss", text, number);
      return FALSE;
    case Q_BAD_UNIT:
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
                   "\"%s\" is not a duration: unknown unit \"%s\" (use us, ms, s, m, h or d)", text, unit);
      return FALSE;
    case Q_FRACTION:
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
                   "\"%s\" is not a duration: the smallest step is 1us", text);
      return FALSE;
    case Q_OVERFLOW:
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
                   "\"%s\" is too large for a duration (at most about 292000 years)", text);
      return FALSE;
    case Q_NOT_A_NUMBER:
    default:
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
                   "\"%s\" is not a duration: expected a number and a unit (us, ms, s, m, h, d), e.g. 30s",
                   text);
      return FALSE;
    }
}

static char *
format_exact (gint64 value, const Unit *units)
{
  if (value == 0)
    return g_strdup ("0");
  for (const Unit *u = units; u->suffix; u++)
    if (value % u->mult == 0)
      return g_strdup_printf ("%" G_GINT64_FORMAT "%s", value / u->mult, u->suffix);
  g_assert_not_reached (); /* the last unit is 1 */
}

char *
weft_format_size (gint64 bytes)
{
  g_return_val_if_fail (bytes >= 0, g_strdup ("?"));
  return format_exact (bytes, size_format_units);
}

char *
weft_format_duration (gint64 usec)
{
  g_return_val_if_fail (usec >= 0, g_strdup ("?"));
  return format_exact (usec, duration_units);
}

/* ---- Values ------------------------------------------------------------------------------- */

typedef struct
{
  gint64 i; /* INT, BOOL, SIZE, DURATION */
  double d; /* DOUBLE */
  char *s;  /* STRING, ENUM (owned) */
} Value;

static void
value_clear (Value *v)
{
  g_clear_pointer (&v->s, g_free);
}

static gboolean
parse_int (const char *text, gint64 *out, GError **error)
{
  g_autofree char *t = g_strstrip (g_strdup (text));
  g_autoptr(GError) local = NULL;

  if (g_ascii_string_to_signed (t, 10, G_MININT64, G_MAXINT64, out, &local))
    return TRUE;
  if (g_error_matches (local, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
    g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE, "\"%s\" is too large for an integer", text);
  else
    g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE, "\"%s\" is not an integer", text);
  return FALSE;
}

static gboolean
parse_bool (const char *text, gint64 *out, GError **error)
{
  static const char *const truths[] = { "true", "yes", "1" };
  static const char *const lies[] = { "false", "no", "0" };
  g_autofree char *t = g_strstrip (g_strdup (text));

  for (gsize i = 0; i < G_N_ELEMENTS (truths); i++)
    {
      if (g_ascii_strcasecmp (t, truths[i]) == 0)
        return (*out = TRUE, TRUE);
      if (g_ascii_strcasecmp (t, lies[i]) == 0)
        return (*out = FALSE, TRUE);
    }
  g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
               "\"%s\" is not a boolean: use true or false (or yes/no, 1/0)", text);
  return FALSE;
}

static gboolean
parse_double (const char *text, double *out, GError **error)
{
  g_autofree char *t = g_strstrip (g_strdup (text));
  char *end = NULL;
  double d;

  /* Decimal notation only: g_ascii_strtod() would also take "nan", "inf" and hex. */
  if (*t != '\0' && strspn (t, "0123456789.eE+-") == strlen (t))
    {
      d = g_ascii_strtod (t, &end);
      if (end != t && *end == '\0' && isfinite (d))
        {
          *out = d;
          return TRUE;
        }
    }
  g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE, "\"%s\" is not a number", text);
  return FALSE;
}

static gboolean
parse_enum (const KeyDef *k, const char *text, char **out, GError **error)
{
  g_auto (GStrv) choices = g_strsplit (k->choices, "|", -1);
  g_autofree char *t = g_strstrip (g_strdup (text));
  g_autofree char *list = NULL;

  for (char **c = choices; *c; c++)
    if (g_ascii_strcasecmp (*c, t) == 0)
      {
        *out = g_strdup (*c);
        return TRUE;
      }
  list = g_strjoinv (", ", choices);
  g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE, "\"%s\" is not one of %s", text, list);
  return FALSE;
}

/* Parses @text as @k's type, without checking bounds. */
static gboolean
parse_typed (const KeyDef *k, const char *text, Value *out, GError **error)
{
  Value v = { 0 };

  switch (k->type)
    {
    case TYPE_STRING:
      v.s = g_strdup (text);
      break;
    case TYPE_INT:
      if (!parse_int (text, &v.i, error))
        return FALSE;
      break;
    case TYPE_BOOL:
      if (!parse_bool (text, &v.i, error))
        return FALSE;
      break;
    case TYPE_SIZE:
      if (!weft_parse_size (text, &v.i, error))
        return FALSE;
      break;
    case TYPE_DURATION:
      if (!weft_parse_duration (text, &v.i, error))
        return FALSE;
      break;
    case TYPE_DOUBLE:
      if (!parse_double (text, &v.d, error))
        return FALSE;
      break;
    case TYPE_ENUM:
      if (!parse_enum (k, text, &v.s, error))
        return FALSE;
      break;
    default:
      g_assert_not_reached ();
    }
  *out = v;
  return TRUE;
}

/* A bound of the table, which must parse (the table test checks every one). */
static Value
bound_value (const KeyDef *k, const char *text)
{
  g_autoptr(GError) error = NULL;
  Value v = { 0 };

  if (!parse_typed (k, text, &v, &error))
    g_error ("weft-conf: bound \"%s\" of %s does not parse: %s", text, k->name, error->message);
  return v;
}

/* -1, 0, 1 as @a is below, equal to, above @b. */
static int
value_compare (const KeyDef *k, const Value *a, const Value *b)
{
  if (k->type == TYPE_DOUBLE)
    return (a->d > b->d) - (a->d < b->d);
  return (a->i > b->i) - (a->i < b->i);
}

static char *
format_value (const KeyDef *k, const Value *v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  switch (k->type)
    {
    case TYPE_STRING:
    case TYPE_ENUM:
      return g_strdup (v->s);
    case TYPE_INT:
      return g_strdup_printf ("%" G_GINT64_FORMAT, v->i);
    case TYPE_BOOL:
      return g_strdup (v->i ? "true" : "false");
    case TYPE_SIZE:
      return weft_format_size (v->i);
    case TYPE_DURATION:
      return weft_format_duration (v->i);
    case TYPE_DOUBLE:
      return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.15g", v->d));
    default:
      g_assert_not_reached ();
    }
}

static char *
format_bound (const KeyDef *k, const char *text)
{
  Value v = bound_value (k, text);
  char *s = format_value (k, &v);

  value_clear (&v);
  return s;
}

static gboolean
check_bounds (const KeyDef *k, const char *text, const Value *v, GError **error)
{
  gboolean low = FALSE, high = FALSE;
  g_autofree char *min = NULL;
  g_autofree char *max = NULL;
  g_autofree char *shown = g_strstrip (g_strdup (text));

  if (k->min)
    {
      Value b = bound_value (k, k->min);
      low = value_compare (k, v, &b) < 0;
    }
  if (k->max)
    {
      Value b = bound_value (k, k->max);
      high = value_compare (k, v, &b) > 0;
    }
  if (!low && !high)
    return TRUE;

  min = k->min ? format_bound (k, k->min) : NULL;
  max = k->max ? format_bound (k, k->max) : NULL;
  if (min && max)
    g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_OUT_OF_RANGE,
                 "\"%s\" is out of range: must be between %s and %s", shown, min, max);
  else if (min)
    g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_OUT_OF_RANGE,
                 "\"%s\" is out of range: must be at least %s", shown, min);
  else
    g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_OUT_OF_RANGE,
                 "\"%s\" is out of range: must be at most %s", shown, max);
  return FALSE;
}

/* Parses user input for @k and checks its bounds; the error has no source prefix yet. */
static gboolean
parse_value (const KeyDef *k, const char *text, Value *out, GError **error)
{
  Value v = { 0 };

  if (!parse_typed (k, text, &v, error))
    return FALSE;
  if (!check_bounds (k, text, &v, error))
    {
      value_clear (&v);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

/* ---- The configuration -------------------------------------------------------------------- */

typedef struct
{
  Value v;
  const char *origin; /* "default", or a string in WeftConf.origins */
} Setting;

typedef struct
{
  char *kind;
  char *name;
  Setting *settings; /* N_KEYS entries; only the rows of kind are used */
} Instance;

struct _WeftConf
{
  char *dir;
  Setting settings[N_KEYS]; /* global rows only */
  GHashTable *instances;    /* "KIND.NAME" (owned) -> Instance (owned) */
  GStringChunk *origins;    /* deduplicated origin strings */
};

static const char default_origin[] = "default";

static void
set_default (const KeyDef *k, Setting *s)
{
  g_autoptr(GError) error = NULL;

  if (!parse_value (k, k->def, &s->v, &error))
    g_error ("weft-conf: default of %s does not parse: %s", k->name, error->message);
  s->origin = default_origin;
}

static void
settings_clear (Setting *settings)
{
  for (gsize i = 0; i < N_KEYS; i++)
    value_clear (&settings[i].v);
}

static void
instance_free (Instance *inst)
{
  settings_clear (inst->settings);
  g_free (inst->settings);
  g_free (inst->kind);
  g_free (inst->name);
  g_free (inst);
}

WeftConf *
weft_conf_new (void)
{
  WeftConf *conf = g_new0 (WeftConf, 1);

  for (gsize i = 0; i < N_KEYS; i++)
    if (!row_is_instance (&keys[i]))
      set_default (&keys[i], &conf->settings[i]);
  conf->instances = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) instance_free);
  conf->origins = g_string_chunk_new (256);
  return conf;
}

void
weft_conf_free (WeftConf *conf)
{
  if (!conf)
    return;
  settings_clear (conf->settings);
  g_hash_table_unref (conf->instances);
  g_string_chunk_free (conf->origins);
  g_free (conf->dir);
  g_free (conf);
}

/* @group is "KIND.NAME", already validated. */
static Instance *
ensure_instance (WeftConf *conf, const char *group)
{
  Instance *inst = g_hash_table_lookup (conf->instances, group);
  const char *name = NULL;
  int row;

  if (inst)
    return inst;
  row = match_kind (group, &name);
  g_assert (row >= 0);
  inst = g_new0 (Instance, 1);
  inst->kind = g_strndup (keys[row].name, row_kind_len (&keys[row]));
  inst->name = g_strdup (name);
  inst->settings = g_new0 (Setting, N_KEYS);
  for (gsize i = 0; i < N_KEYS; i++)
    if (row_of_kind (&keys[i], inst->kind))
      set_default (&keys[i], &inst->settings[i]);
  g_hash_table_insert (conf->instances, g_strdup (group), inst);
  return inst;
}

/* ---- Staged changes ----------------------------------------------------------------------- */

typedef struct
{
  char *group;  /* instance group "KIND.NAME", or NULL for a global key */
  int row;      /* -1: only define the instance */
  Value v;
  char *origin;
} Change;

static void
change_clear (gpointer p)
{
  Change *c = p;

  g_free (c->group);
  value_clear (&c->v);
  g_free (c->origin);
}

static GArray *
changes_new (void)
{
  GArray *changes = g_array_new (FALSE, TRUE, sizeof (Change));

  g_array_set_clear_func (changes, change_clear);
  return changes;
}

/* Takes ownership of @v. */
static void
changes_add (GArray *changes, const char *group, int row, Value *v, const char *origin)
{
  Change c = { g_strdup (group), row, { 0 }, g_strdup (origin) };

  if (v)
    {
      c.v = *v;
      *v = (Value) { 0 };
    }
  g_array_append_val (changes, c);
}

static void
commit (WeftConf *conf, GArray *changes)
{
  for (guint i = 0; i < changes->len; i++)
    {
      Change *c = &g_array_index (changes, Change, i);
      Setting *settings = c->group ? ensure_instance (conf, c->group)->settings : conf->settings;
      Setting *s;

      if (c->row < 0)
        continue;
      s = &settings[c->row];
      value_clear (&s->v);
      s->v = c->v;
      c->v = (Value) { 0 };
      s->origin = g_string_chunk_insert_const (conf->origins, c->origin);
    }
}

/* ---- Suggestions -------------------------------------------------------------------------- */

/* Optimal string alignment distance (Levenshtein plus adjacent transpositions), ignoring ASCII
 * case; anything above 2 is reported as 3, which is all the caller needs. */
static guint
edit_distance (const char *a, const char *b)
{
  gsize n = strlen (a), m = strlen (b);
  g_autofree guint *d = NULL;
  guint result;

  if ((n > m ? n - m : m - n) > 2)
    return 3;
  d = g_new (guint, (n + 1) * (m + 1));
#define D(i, j) d[(i) * (m + 1) + (j)]
  for (gsize i = 0; i <= n; i++)
    D (i, 0) = (guint) i;
  for (gsize j = 0; j <= m; j++)
    D (0, j) = (guint) j;
  for (gsize i = 1; i <= n; i++)
    for (gsize j = 1; j <= m; j++)
      {
        guint cost = g_ascii_tolower (a[i - 1]) != g_ascii_tolower (b[j - 1]);
        guint v = MIN (MIN (D (i - 1, j) + 1, D (i, j - 1) + 1), D (i - 1, j - 1) + cost);
        if (i > 1 && j > 1 && g_ascii_tolower (a[i - 1]) == g_ascii_tolower (b[j - 2])
            && g_ascii_tolower (a[i - 2]) == g_ascii_tolower (b[j - 1]))
          v = MIN (v, D (i - 2, j - 2) + 1);
        D (i, j) = v;
      }
  result = D (n, m);
#undef D
  return MIN (result, 3);
}

/* The known key nearest (distance <= 2 over the full "group.key") to @group + @key, or NULL if
 * none. For instance kinds the candidate keeps the user's instance name: "[queu.root] capacity"
 * is compared with "queue.root.capacity". A candidate in the user's own group wins ties. When
 * @key is NULL, groups are compared instead. Formatted "[group] key" if @brackets, else
 * "group.key". */
static char *
suggest (const char *group, const char *key, gboolean brackets)
{
  g_autofree char *wanted = key ? g_strconcat (group, ".", key, NULL) : g_strdup (group);
  const char *dot = strchr (group, '.');
  g_autofree char *best_group = NULL;
  const char *best_key = NULL;
  guint best = 3;
  gboolean best_same_group = FALSE;

  for (gsize i = 0; i < N_KEYS; i++)
    {
      const KeyDef *k = &keys[i];
      g_autofree char *cand_group = NULL;
      g_autofree char *cand = NULL;
      gboolean same_group;
      guint dist;

      if (!row_is_instance (k))
        cand_group = g_strndup (k->name, row_group_len (k));
      else if (dot && dot[1] != '\0')
        cand_group = g_strdup_printf ("%.*s%s", (int) row_kind_len (k), k->name, dot);
      else
        continue;
      cand = key ? g_strconcat (cand_group, ".", row_key (k), NULL) : g_strdup (cand_group);
      dist = edit_distance (wanted, cand);
      same_group = strcmp (cand_group, group) == 0;
      if (dist < best || (dist == best && dist <= 2 && same_group && !best_same_group))
        {
          best = dist;
          best_same_group = same_group;
          g_free (best_group);
          best_group = g_steal_pointer (&cand_group);
          best_key = row_key (k);
        }
    }
  if (best > 2)
    return NULL;
  if (!key)
    return brackets ? g_strdup_printf ("[%s]", best_group) : g_strdup (best_group);
  return brackets ? g_strdup_printf ("[%s] %s", best_group, best_key)
                  : g_strdup_printf ("%s.%s", best_group, best_key);
}

static char *
did_you_mean (const char *group, const char *key, gboolean brackets)
{
  g_autofree char *s = suggest (group, key, brackets);

  return s ? g_strdup_printf (" (did you mean %s?)", s) : g_strdup ("");
}

/* ---- Resolving names ---------------------------------------------------------------------- */

/* Where a (group, key) of user input goes. */
typedef struct
{
  int row;                  /* table row, -1 if the key is unknown (or not asked for) */
  gboolean instance;        /* the group is an instance group */
} Target;

/* Checks @group (and @key, if not NULL). @where prefixes errors: "FILE: [group] key" style for
 * files (@brackets), "--conf group.key" for overrides. */
static gboolean
resolve (const char *where, const char *group, const char *key, gboolean brackets, Target *out, GError **error)
{
  const char *name = NULL;
  int kind_row;

  out->row = -1;
  out->instance = FALSE;
  if (is_global_group (group))
    {
      if (key && (out->row = find_global_row (group, key)) < 0)
        {
          g_autofree char *hint = did_you_mean (group, key, brackets);
          g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_UNKNOWN_KEY, "%s: unknown key%s", where, hint);
          return FALSE;
        }
      return TRUE;
    }

  kind_row = match_kind (group, &name);
  if (kind_row >= 0)
    {
      g_autofree char *kind = g_strndup (keys[kind_row].name, row_kind_len (&keys[kind_row]));

      if (!is_valid_instance_name (name))
        {
          g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_PARSE,
                       "%s: \"%s\" is not a valid %s name (dot-separated parts of letters, digits, '_' and '-')",
                       where, name, kind);
          return FALSE;
        }
      out->instance = TRUE;
      if (key && (out->row = find_instance_row (kind, key)) < 0)
        {
          g_autofree char *hint = did_you_mean (group, key, brackets);
          g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_UNKNOWN_KEY, "%s: unknown %s key%s", where, kind,
                       hint);
          return FALSE;
        }
      return TRUE;
    }

  if (is_kind (group))
    {
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_UNKNOWN_KEY,
                   "%s: a %s needs a name: write %s%s.NAME%s", where, group, brackets ? "[" : "", group,
                   brackets ? "]" : "");
      return FALSE;
    }

  {
    g_autofree char *hint = did_you_mean (group, key, brackets);
    g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_UNKNOWN_KEY, "%s: unknown group [%s]%s", where, group,
                 hint);
  }
  return FALSE;
}

/* ---- Layers ------------------------------------------------------------------------------- */

static gboolean
stage_file (const char *path, GArray *changes, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  g_auto (GStrv) groups = NULL;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, WEFT_CONF_ERROR,
                   local->domain == G_KEY_FILE_ERROR ? WEFT_CONF_ERROR_PARSE : WEFT_CONF_ERROR_IO, "%s: %s", path,
                   local->message);
      return FALSE;
    }

  groups = g_key_file_get_groups (kf, NULL);
  for (char **g = groups; *g; g++)
    {
      g_auto (GStrv) names = g_key_file_get_keys (kf, *g, NULL, NULL);
      g_autofree char *where = g_strdup_printf ("%s: [%s]", path, *g);
      Target t;

      if (!resolve (where, *g, NULL, TRUE, &t, &local))
        {
          /* An unknown group is reported at its first key, so the hint can name a whole key. */
          if (g_error_matches (local, WEFT_CONF_ERROR, WEFT_CONF_ERROR_UNKNOWN_KEY) && names && names[0])
            {
              g_autofree char *key_where = g_strdup_printf ("%s: [%s] %s", path, *g, names[0]);
              return resolve (key_where, *g, names[0], TRUE, &t, error);
            }
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (t.instance)
        changes_add (changes, *g, -1, NULL, path);

      for (char **k = names; k && *k; k++)
        {
          g_autofree char *key_where = g_strdup_printf ("%s: [%s] %s", path, *g, *k);
          g_autofree char *text = NULL;
          Value v = { 0 };

          if (!resolve (key_where, *g, *k, TRUE, &t, error))
            return FALSE;
          /* GKeyFile returns the text even when it also reports a bad escape sequence. */
          text = g_key_file_get_string (kf, *g, *k, &local);
          if (local)
            {
              g_autofree char *raw = g_key_file_get_value (kf, *g, *k, NULL);
              g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE,
                           "%s: \"%s\" has an invalid escape sequence (write \\\\ for a backslash)", key_where,
                           raw);
              return FALSE;
            }
          if (!parse_value (&keys[t.row], text, &v, error))
            {
              g_prefix_error (error, "%s: ", key_where);
              return FALSE;
            }
          changes_add (changes, t.instance ? *g : NULL, t.row, &v, path);
        }
    }
  return TRUE;
}

gboolean
weft_conf_load_file (WeftConf *conf, const char *path, GError **error)
{
  g_autoptr(GArray) changes = changes_new ();

  g_return_val_if_fail (conf != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!stage_file (path, changes, error))
    return FALSE;
  commit (conf, changes);
  return TRUE;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

gboolean
weft_conf_load_dir (WeftConf *conf, const char *dir, GError **error)
{
  g_autofree char *abs = NULL;
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) changes = changes_new ();
  g_autoptr(GError) local = NULL;
  const char *name;

  g_return_val_if_fail (conf != NULL, FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);

  abs = g_canonicalize_filename (dir, NULL);
  if (!g_file_test (abs, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_IO, "config folder %s %s", abs,
                   g_file_test (abs, G_FILE_TEST_EXISTS) ? "is not a folder" : "does not exist");
      return FALSE;
    }
  d = g_dir_open (abs, 0, &local);
  if (!d)
    {
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_IO, "config folder %s: %s", abs, local->message);
      return FALSE;
    }
  /* Hidden files are skipped: editors leave ".#x.conf" locks and ".x.conf.swp" files around.
   * weft-defaults.conf is the engine's (spark-defaults.conf's format: "key value" lines read by
   * weft-submit and drivers), not ours. */
  while ((name = g_dir_read_name (d)))
    if (name[0] != '.' && g_str_has_suffix (name, ".conf")
        && strcmp (name, "weft-defaults.conf") != 0)
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (abs, g_ptr_array_index (names, i), NULL);

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      if (!stage_file (path, changes, error))
        return FALSE;
    }
  commit (conf, changes);
  g_free (conf->dir);
  conf->dir = g_steal_pointer (&abs);
  return TRUE;
}

gboolean
weft_conf_load_env (WeftConf *conf, char **envp, GError **error)
{
  g_auto (GStrv) own = NULL;
  g_autoptr(GArray) changes = changes_new ();

  g_return_val_if_fail (conf != NULL, FALSE);

  if (!envp)
    envp = own = g_get_environ ();
  for (gsize i = 0; i < N_KEYS; i++)
    {
      g_autofree char *var = NULL;
      g_autofree char *origin = NULL;
      const char *text;
      Value v = { 0 };

      if (row_is_instance (&keys[i]))
        continue;
      var = env_name (&keys[i]);
      text = g_environ_getenv (envp, var);
      if (!text)
        continue;
      if (!parse_value (&keys[i], text, &v, error))
        {
          g_prefix_error (error, "environment variable %s: ", var);
          return FALSE;
        }
      origin = g_strconcat ("env ", var, NULL);
      changes_add (changes, NULL, (int) i, &v, origin);
    }
  commit (conf, changes);
  return TRUE;
}

static gboolean
set_with_origin (WeftConf *conf, const char *assignment, const char *origin, GError **error)
{
  const char *eq = strchr (assignment, '=');
  g_autofree char *name = NULL;
  g_autofree char *group = NULL;
  g_autofree char *where = NULL;
  g_autofree char *value = NULL;
  g_autoptr(GArray) changes = changes_new ();
  const char *dot;
  Target t;
  Value v = { 0 };

  if (!eq)
    {
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_PARSE, "%s \"%s\": expected group.key=value", origin,
                   assignment);
      return FALSE;
    }
  name = g_strstrip (g_strndup (assignment, eq - assignment));
  value = g_strstrip (g_strdup (eq + 1));
  dot = strrchr (name, '.');
  if (!dot || dot == name || dot[1] == '\0')
    {
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_PARSE,
                   "%s \"%s\": expected group.key=value, e.g. rpc.call-timeout=5s", origin, assignment);
      return FALSE;
    }
  group = g_strndup (name, dot - name);
  where = g_strdup_printf ("%s %s", origin, name);
  if (!resolve (where, group, dot + 1, FALSE, &t, error))
    return FALSE;
  if (!parse_value (&keys[t.row], value, &v, error))
    {
      g_prefix_error (error, "%s: ", where);
      return FALSE;
    }
  changes_add (changes, t.instance ? group : NULL, t.row, &v, origin);
  commit (conf, changes);
  return TRUE;
}

gboolean
weft_conf_set (WeftConf *conf, const char *assignment, GError **error)
{
  g_return_val_if_fail (conf != NULL, FALSE);
  g_return_val_if_fail (assignment != NULL, FALSE);

  return set_with_origin (conf, assignment, "--conf", error);
}

WeftConf *
weft_conf_load (const char *dir, char **overrides, GError **error)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  const char *from_env = g_getenv ("WEFT_CONF_DIR");

  if (dir)
    {
      if (!weft_conf_load_dir (conf, dir, error))
        return NULL;
    }
  else if (from_env && *from_env)
    {
      if (!weft_conf_load_dir (conf, from_env, error))
        {
          g_prefix_error (error, "WEFT_CONF_DIR: ");
          return NULL;
        }
    }
  else if (g_file_test ("conf", G_FILE_TEST_EXISTS))
    {
      if (!weft_conf_load_dir (conf, "conf", error))
        return NULL;
    }
  else
    conf->dir = g_canonicalize_filename ("conf", NULL);

  if (!weft_conf_load_env (conf, NULL, error))
    return NULL;
  for (char **o = overrides; o && *o; o++)
    if (!weft_conf_set (conf, *o, error))
      return NULL;
  return g_steal_pointer (&conf);
}

/* ---- Command line ------------------------------------------------------------------------- */

typedef struct
{
  char **confs;
  char *dir;
  int verbose;
} Args;

static gboolean
on_verbose (const char *option_name, const char *value, gpointer data, GError **error)
{
  (void) option_name;
  (void) value;
  (void) error;
  ((Args *) data)->verbose++;
  return TRUE;
}

gboolean
weft_conf_parse_args (int *argc, char ***argv, WeftConf **out, GError **error)
{
  Args args = { 0 };
  g_autoptr(GOptionContext) ctx = g_option_context_new (NULL);
  GOptionGroup *group = g_option_group_new ("weft", "Weft configuration", "Configuration options", &args, NULL);
  const GOptionEntry entries[] = {
    { "conf", 0, 0, G_OPTION_ARG_STRING_ARRAY, &args.confs, "Set a configuration key (repeatable)",
      "GROUP.KEY=VALUE" },
    { "conf-dir", 0, 0, G_OPTION_ARG_FILENAME, &args.dir, "Configuration folder (default: $WEFT_CONF_DIR or conf)",
      "DIR" },
    { "verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer) on_verbose,
      "Log more (repeatable: info, then debug)", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GError) local = NULL;
  g_autoptr(WeftConf) conf = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (argc != NULL && argv != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (ctx, group);
  /* The program's own options (and --help) stay in argv for its own parser. */
  g_option_context_set_ignore_unknown_options (ctx, TRUE);
  g_option_context_set_help_enabled (ctx, FALSE);

  if (!g_option_context_parse (ctx, argc, argv, &local))
    {
      g_set_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_PARSE, "%s", local->message);
      goto out;
    }
  conf = weft_conf_load (args.dir, args.confs, error);
  if (!conf)
    goto out;
  if (args.verbose > 0)
    {
      static const char *const levels[] = { "error", "warning", "message", "info", "debug" };
      const char *now = weft_conf_get_string (conf, "log.level");
      gsize want = args.verbose == 1 ? 3 : 4, have = 0;
      g_autofree char *assignment = NULL;

      while (have < G_N_ELEMENTS (levels) && strcmp (levels[have], now) != 0)
        have++;
      assignment = g_strconcat ("log.level=", levels[want], NULL);
      if (have < want && !set_with_origin (conf, assignment, "--verbose", error))
        goto out;
    }
  *out = g_steal_pointer (&conf);
  ok = TRUE;

out:
  g_strfreev (args.confs);
  g_free (args.dir);
  return ok;
}

/* ---- Reading ------------------------------------------------------------------------------ */

static const Setting *
find_setting (WeftConf *conf, const char *key, const KeyDef **def)
{
  const char *dot = strrchr (key, '.');
  g_autofree char *group = NULL;
  Instance *inst;
  int row;

  if (!dot)
    return NULL;
  group = g_strndup (key, dot - key);
  row = find_global_row (group, dot + 1);
  if (row >= 0)
    {
      *def = &keys[row];
      return &conf->settings[row];
    }
  inst = g_hash_table_lookup (conf->instances, group);
  if (!inst || (row = find_instance_row (inst->kind, dot + 1)) < 0)
    return NULL;
  *def = &keys[row];
  return &inst->settings[row];
}

/* @types: a bit mask of KeyType. */
static const Setting *
get_checked (WeftConf *conf, const char *func, const char *key, guint types)
{
  const KeyDef *def = NULL;
  const Setting *s;

  g_return_val_if_fail (conf != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  s = find_setting (conf, key, &def);
  if (!s)
    {
      g_critical ("%s: no configuration key \"%s\" (not in the table, or an undefined instance)", func, key);
      return NULL;
    }
  if (!(types & (1u << def->type)))
    {
      g_critical ("%s: configuration key \"%s\" is of type %s", func, key, type_names[def->type]);
      return NULL;
    }
  return s;
}

#define T(t) (1u << TYPE_##t)

gint64
weft_conf_get_int (WeftConf *conf, const char *key)
{
  const Setting *s = get_checked (conf, G_STRFUNC, key, T (INT));
  return s ? s->v.i : 0;
}

gint64
weft_conf_get_size (WeftConf *conf, const char *key)
{
  const Setting *s = get_checked (conf, G_STRFUNC, key, T (SIZE));
  return s ? s->v.i : 0;
}

gint64
weft_conf_get_duration (WeftConf *conf, const char *key)
{
  const Setting *s = get_checked (conf, G_STRFUNC, key, T (DURATION));
  return s ? s->v.i : 0;
}

gboolean
weft_conf_get_bool (WeftConf *conf, const char *key)
{
  const Setting *s = get_checked (conf, G_STRFUNC, key, T (BOOL));
  return s ? (gboolean) s->v.i : FALSE;
}

double
weft_conf_get_double (WeftConf *conf, const char *key)
{
  const Setting *s = get_checked (conf, G_STRFUNC, key, T (DOUBLE));
  return s ? s->v.d : 0.0;
}

const char *
weft_conf_get_string (WeftConf *conf, const char *key)
{
  const Setting *s = get_checked (conf, G_STRFUNC, key, T (STRING) | T (ENUM));
  return s ? s->v.s : NULL;
}

const char *
weft_conf_origin (WeftConf *conf, const char *key)
{
  const Setting *s = get_checked (conf, G_STRFUNC, key, ~0u);
  return s ? s->origin : NULL;
}

static const Setting *
get_instance_checked (WeftConf *conf, const char *func, const char *kind, const char *name, const char *key,
                      guint types)
{
  g_autofree char *full = NULL;

  g_return_val_if_fail (kind != NULL && name != NULL && key != NULL, NULL);
  full = g_strconcat (kind, ".", name, ".", key, NULL);
  return get_checked (conf, func, full, types);
}

gint64
weft_conf_get_instance_int (WeftConf *conf, const char *kind, const char *name, const char *key)
{
  const Setting *s = get_instance_checked (conf, G_STRFUNC, kind, name, key, T (INT));
  return s ? s->v.i : 0;
}

gint64
weft_conf_get_instance_size (WeftConf *conf, const char *kind, const char *name, const char *key)
{
  const Setting *s = get_instance_checked (conf, G_STRFUNC, kind, name, key, T (SIZE));
  return s ? s->v.i : 0;
}

gint64
weft_conf_get_instance_duration (WeftConf *conf, const char *kind, const char *name, const char *key)
{
  const Setting *s = get_instance_checked (conf, G_STRFUNC, kind, name, key, T (DURATION));
  return s ? s->v.i : 0;
}

gboolean
weft_conf_get_instance_bool (WeftConf *conf, const char *kind, const char *name, const char *key)
{
  const Setting *s = get_instance_checked (conf, G_STRFUNC, kind, name, key, T (BOOL));
  return s ? (gboolean) s->v.i : FALSE;
}

double
weft_conf_get_instance_double (WeftConf *conf, const char *kind, const char *name, const char *key)
{
  const Setting *s = get_instance_checked (conf, G_STRFUNC, kind, name, key, T (DOUBLE));
  return s ? s->v.d : 0.0;
}

const char *
weft_conf_get_instance_string (WeftConf *conf, const char *kind, const char *name, const char *key)
{
  const Setting *s = get_instance_checked (conf, G_STRFUNC, kind, name, key, T (STRING) | T (ENUM));
  return s ? s->v.s : NULL;
}

#undef T

char **
weft_conf_list_instances (WeftConf *conf, const char *kind)
{
  GPtrArray *names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (conf != NULL, NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  g_hash_table_iter_init (&iter, conf->instances);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Instance *inst = value;
      if (strcmp (inst->kind, kind) == 0)
        g_ptr_array_add (names, g_strdup (inst->name));
    }
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

gboolean
weft_conf_has_instance (WeftConf *conf, const char *kind, const char *name)
{
  g_autofree char *group = NULL;

  g_return_val_if_fail (conf != NULL, FALSE);
  g_return_val_if_fail (kind != NULL && name != NULL, FALSE);

  group = g_strconcat (kind, ".", name, NULL);
  return g_hash_table_contains (conf->instances, group);
}

const char *
weft_conf_dir (WeftConf *conf)
{
  g_return_val_if_fail (conf != NULL, NULL);
  return conf->dir;
}

char *
weft_conf_resolve_path (WeftConf *conf, const char *path)
{
  g_return_val_if_fail (conf != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  return g_canonicalize_filename (path, conf->dir);
}

static void
dump_settings (GString *out, const char *prefix, const Setting *settings, const char *kind)
{
  for (gsize i = 0; i < N_KEYS; i++)
    {
      const KeyDef *k = &keys[i];
      g_autofree char *value = NULL;

      if (kind ? !row_of_kind (k, kind) : row_is_instance (k))
        continue;
      value = format_value (k, &settings[i].v);
      if (*value == '\0')
        {
          g_free (value);
          value = g_strdup ("\"\""); /* so an empty string is not mistaken for a missing value */
        }
      if (prefix)
        g_string_append_printf (out, "%s.%s = %s (%s)\n", prefix, row_key (k), value, settings[i].origin);
      else
        g_string_append_printf (out, "%s = %s (%s)\n", k->name, value, settings[i].origin);
    }
}

char *
weft_conf_dump (WeftConf *conf)
{
  GString *out = g_string_new (NULL);
  g_autofree gpointer *groups = NULL;
  guint n = 0;

  g_return_val_if_fail (conf != NULL, NULL);

  dump_settings (out, NULL, conf->settings, NULL);
  groups = g_hash_table_get_keys_as_array (conf->instances, &n);
  qsort (groups, n, sizeof (gpointer), compare_strings);
  for (guint i = 0; i < n; i++)
    {
      Instance *inst = g_hash_table_lookup (conf->instances, groups[i]);
      dump_settings (out, groups[i], inst->settings, inst->kind);
    }
  return g_string_free (out, FALSE);
}

/* One key of the template: its doc line (with bounds or choices appended while the line stays
 * within 100 columns), then the commented-out default. */
static void
template_key (GString *out, const KeyDef *k, gboolean first_in_group)
{
  g_autofree char *extra = NULL;

  if (k->type == TYPE_ENUM)
    {
      g_auto (GStrv) choices = g_strsplit (k->choices, "|", -1);
      g_autofree char *list = g_strjoinv (", ", choices);
      extra = g_strdup_printf ("One of: %s.", list);
    }
  else if (k->min || k->max)
    {
      g_autofree char *min = k->min ? format_bound (k, k->min) : NULL;
      g_autofree char *max = k->max ? format_bound (k, k->max) : NULL;
      extra = min && max ? g_strdup_printf ("Range: %s..%s.", min, max)
              : min      ? g_strdup_printf ("At least %s.", min)
                         : g_strdup_printf ("At most %s.", max);
    }
  if (!first_in_group)
    g_string_append_c (out, '\n');
  g_string_append_printf (out, "# %s", k->doc);
  if (extra)
    g_string_append_printf (out, "%s%s", strlen (k->doc) + strlen (extra) + 3 <= 100 ? " " : "\n# ", extra);
  /* No trailing space after an empty default. */
  g_string_append_printf (out, "\n#%s =%s%s\n", row_key (k), *k->def ? " " : "", k->def);
}

char *
weft_conf_template (void)
{
  GString *out = g_string_new (
    "# Weft site configuration: every key, with its default commented out.\n"
    "# Generated by weft_conf_template() from the key table in common/weft-conf.c; keep it in step.\n"
    "#\n"
    "# Weft reads every *.conf file of the config folder (--conf-dir, else $WEFT_CONF_DIR, else ./conf)\n"
    "# in lexical order (but weft-defaults.conf, the engine's spark-defaults.conf), a later file\n"
    "# overriding an earlier one. Environment variables override files:\n"
    "# WEFT_<GROUP>_<KEY>, upper case, '-' turned into '_' (e.g. WEFT_RPC_CALL_TIMEOUT=5s).\n"
    "# --conf group.key=value on a command line overrides both. Unknown keys are errors.\n"
    "#\n"
    "# Sizes: 100 (bytes), 64k, 512m, 1.5g, 2t (powers of 1024).\n"
    "# Durations need a unit: 500us, 250ms, 30s, 10m, 2h, 1d.\n"
    "# Booleans: true/false, yes/no, 1/0. Comments go on lines of their own.\n");

  for (gsize i = 0; i < N_KEYS; i++)
    {
      const KeyDef *k = &keys[i];
      gsize len = row_group_len (k);

      if (row_is_instance (k))
        continue;
      gboolean new_group = i == 0 || row_is_instance (&keys[i - 1]) || row_group_len (&keys[i - 1]) != len
                           || strncmp (keys[i - 1].name, k->name, len) != 0;

      if (new_group)
        g_string_append_printf (out, "\n[%.*s]\n", (int) len, k->name);
      template_key (out, k, new_group);
    }
  for (gsize j = 0; j < G_N_ELEMENTS (kinds); j++)
    {
      gboolean first = TRUE;

      g_string_append_printf (out, "\n# %s\n#[%s.%s]\n", kinds[j].doc, kinds[j].kind, kinds[j].example);
      for (gsize i = 0; i < N_KEYS; i++)
        if (row_of_kind (&keys[i], kinds[j].kind))
          {
            template_key (out, &keys[i], first);
            first = FALSE;
          }
    }
  return g_string_free (out, FALSE);
}
