# rm/: built by its own fragment, included from Makefile.am.
