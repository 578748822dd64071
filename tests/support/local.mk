# test support library: sandbox launcher, throwaway CA, process helpers
