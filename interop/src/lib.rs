//! Nothing here: the interop checks live in tests/.
