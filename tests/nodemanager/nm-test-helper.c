/* nm-test-helper: a load generator for the NodeManager tests, run as a container.
 *
 *   nm-test-helper mem TOTAL_MIB STEP_MIB STEP_MS HOLD_MS
 *       allocates TOTAL_MIB in steps of STEP_MIB, touching every page (so it is resident), sleeping
 *       STEP_MS between steps, then holds it all for HOLD_MS and exits 0
 *   nm-test-helper spin THREADS SECONDS
 *       keeps THREADS threads busy for SECONDS of wall time, then exits 0
 *
 * Plain C without GLib or sanitizers, so its memory is what it was asked to hold. */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double
now_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

  while (nanosleep (&ts, &ts) != 0)
    ;
}

static int
run_mem (long total_mib, long step_mib, long step_ms, long hold_ms)
{
  long page = sysconf (_SC_PAGESIZE);
  long done = 0;

  while (done < total_mib)
    {
      long n = step_mib < total_mib - done ? step_mib : total_mib - done;
      size_t bytes = (size_t) n << 20;
      char *p = mmap (NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

      if (p == MAP_FAILED)
        {
          perror ("nm-test-helper: mmap");
          return 1;
        }
      for (size_t off = 0; off < bytes; off += (size_t) page)
        p[off] = 1;
      done += n;
      printf ("holding %ld MiB\n", done);
      fflush (stdout);
      if (step_ms > 0 && done < total_mib)
        sleep_ms (step_ms);
    }
  sleep_ms (hold_ms);
  printf ("done\n");
  return 0;
}

static double spin_until;

static void *
spin (void *arg)
{
  volatile unsigned long x = 0;

  (void) arg;
  while (now_s () < spin_until)
    for (int i = 0; i < 100000; i++)
      x++;
  return NULL;
}

static int
run_spin (int threads, double seconds)
{
  pthread_t t[64];

  if (threads < 1 || threads > 64)
    {
      fprintf (stderr, "nm-test-helper: 1 to 64 threads\n");
      return 2;
    }
  spin_until = now_s () + seconds;
  for (int i = 1; i < threads; i++)
    if (pthread_create (&t[i], NULL, spin, NULL) != 0)
      {
        fprintf (stderr, "nm-test-helper: cannot start a thread\n");
        return 1;
      }
  spin (NULL);
  for (int i = 1; i < threads; i++)
    pthread_join (t[i], NULL);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 6 && strcmp (argv[1], "mem") == 0)
    return run_mem (atol (argv[2]), atol (argv[3]), atol (argv[4]), atol (argv[5]));
  if (argc == 4 && strcmp (argv[1], "spin") == 0)
    return run_spin (atoi (argv[2]), atof (argv[3]));
  fprintf (stderr, "usage: nm-test-helper mem TOTAL_MIB STEP_MIB STEP_MS HOLD_MS\n"
                   "       nm-test-helper spin THREADS SECONDS\n");
  return 2;
}
