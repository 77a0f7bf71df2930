/* No exec stub on this architecture: exec_stub_for asks for a sealed copy. */
#include "exec_stub.h"

const unsigned char exec_stub_image[] = {0};
const size_t exec_stub_image_size = 0;
