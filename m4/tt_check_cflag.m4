# TT_CHECK_CFLAG(FLAG, VARIABLE)
# ------------------------------
# Append FLAG to the substituted VARIABLE when the C compiler accepts it
# without a warning. Used for flags that some compilers lack.
AC_DEFUN([TT_CHECK_CFLAG], [
  AC_MSG_CHECKING([whether $CC accepts $1])
  tt_save_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS $1 -Werror"
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
    [AC_MSG_RESULT([yes]); $2="$$2 $1"],
    [AC_MSG_RESULT([no])])
  CFLAGS=$tt_save_CFLAGS
  AC_SUBST([$2])
])
