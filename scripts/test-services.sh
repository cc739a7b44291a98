# Sourced by scripts/test.sh: starts the services the test suite needs and stops them on exit.
# Nothing yet: the PostgreSQL store's tests add a throwaway server here.
:
