/* gen-employees: writes the engine benchmark's employees CSV (bench/engine.sh), the same bytes for
 * the same row count and seed on every machine: a 64-bit LCG, no libc rand(), no locale.
 *   id,name,age,city,department,salary,hired
 *   1,name48213,34,city712,Sales,81234,2011-04-17
 * ids run 1..ROWS; name "name0".."name9999999"; age 18..70; city "city0".."city999"; 20
 * departments; salary 20000..200000; hired 1990-01-01..2024-12-31. About 60 bytes a row, so
 * 10 M rows are ~600 MB. The file is written under PATH.tmp and renamed, so a killed run never
 * leaves a short file that a later run would take for finished.
 * Usage: gen-employees ROWS PATH [SEED] */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

static const char *const departments[20] = {
  "Engineering", "Sales",      "Marketing", "Finance",    "HR",         "Legal",      "Support",
  "Operations",  "Research",   "Design",    "Product",    "Security",   "Facilities", "Logistics",
  "Procurement", "Quality",    "Training",  "Compliance", "Analytics",  "Admin",
};

/* Knuth's MMIX constants; the high 32 bits are the usable part of an LCG's output. */
static uint64_t lcg_state;

static uint32_t
next_u32 (void)
{
  lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t) (lcg_state >> 32);
}

/* A value in [0, n): multiply-shift, no modulo bias worth speaking of for n << 2^32. */
static uint32_t
next_below (uint32_t n)
{
  return (uint32_t) (((uint64_t) next_u32 () * n) >> 32);
}

static char *
put_uint (char *p, uint64_t v)
{
  char tmp[24];
  int n = 0;
  do
    {
      tmp[n++] = (char) ('0' + v % 10);
      v /= 10;
    }
  while (v != 0);
  while (n > 0)
    *p++ = tmp[--n];
  return p;
}

static char *
put_2 (char *p, unsigned v)
{
  *p++ = (char) ('0' + v / 10);
  *p++ = (char) ('0' + v % 10);
  return p;
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static char *
put_date (char *p, int32_t days)
{
  int32_t z = days + 719468;
  int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  uint32_t doe = (uint32_t) (z - era * 146097);
  uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int32_t y = (int32_t) yoe + era * 400;
  uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  uint32_t mp = (5 * doy + 2) / 153;
  uint32_t d = doy - (153 * mp + 2) / 5 + 1;
  uint32_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2)
    y++;
  p = put_uint (p, (uint64_t) y);
  *p++ = '-';
  p = put_2 (p, m);
  *p++ = '-';
  return put_2 (p, d);
}

int
main (int argc, char **argv)
{
  if (argc < 3 || argc > 4)
    {
      fprintf (stderr, "usage: gen-employees ROWS PATH [SEED]\n");
      return 2;
    }
  char *end = NULL;
  errno = 0;
  unsigned long long rows = strtoull (argv[1], &end, 10);
  if (errno != 0 || *end != '\0' || argv[1][0] == '-')
    {
      fprintf (stderr, "gen-employees: bad row count '%s'\n", argv[1]);
      return 2;
    }
  lcg_state = argc > 3 ? strtoull (argv[3], NULL, 10) : 20240601ULL;

  g_autofree char *tmp_path = g_strconcat (argv[2], ".tmp", NULL);
  FILE *out = fopen (tmp_path, "wb");
  if (out == NULL)
    {
      fprintf (stderr, "gen-employees: %s: %s\n", tmp_path, g_strerror (errno));
      return 1;
    }
  size_t dept_len[20];
  for (int i = 0; i < 20; i++)
    dept_len[i] = strlen (departments[i]);

  /* 1990-01-01 is day 7305 since the epoch, 2024-12-31 day 20088. */
  const int32_t first_day = 7305, n_days = 20088 - 7305 + 1;
  enum { BUF = 1 << 20, ROW_MAX = 128 };
  char *buf = g_malloc (BUF);
  char *p = buf;
  static const char header[] = "id,name,age,city,department,salary,hired\n";
  memcpy (p, header, sizeof header - 1);
  p += sizeof header - 1;
  for (unsigned long long id = 1; id <= rows; id++)
    {
      if (p - buf > BUF - ROW_MAX)
        {
          if (fwrite (buf, 1, (size_t) (p - buf), out) != (size_t) (p - buf))
            goto write_error;
          p = buf;
        }
      p = put_uint (p, id);
      memcpy (p, ",name", 5);
      p = put_uint (p + 5, next_below (10000000));
      *p++ = ',';
      p = put_uint (p, 18 + next_below (53));
      memcpy (p, ",city", 5);
      p = put_uint (p + 5, next_below (1000));
      *p++ = ',';
      uint32_t d = next_below (20);
      memcpy (p, departments[d], dept_len[d]);
      p += dept_len[d];
      *p++ = ',';
      p = put_uint (p, 20000 + next_below (180001));
      *p++ = ',';
      p = put_date (p, first_day + (int32_t) next_below ((uint32_t) n_days));
      *p++ = '\n';
    }
  if (fwrite (buf, 1, (size_t) (p - buf), out) != (size_t) (p - buf))
    goto write_error;
  g_free (buf);
  if (fclose (out) != 0)
    {
      fprintf (stderr, "gen-employees: %s: %s\n", tmp_path, g_strerror (errno));
      return 1;
    }
  if (rename (tmp_path, argv[2]) != 0)
    {
      fprintf (stderr, "gen-employees: rename to %s: %s\n", argv[2], g_strerror (errno));
      return 1;
    }
  return 0;

write_error:
  fprintf (stderr, "gen-employees: %s: %s\n", tmp_path, g_strerror (errno));
  fclose (out);
  g_free (buf);
  return 1;
}
