/* placeholder */
#include "tap.h"
static void nothing(void) {}
TAP_MAIN(T(nothing))
