// Provides std::ios_base_library_init, the one GLIBCXX_3.4.32 (GCC 13) symbol that TorchSharp's
// libLibTorchSharp.so needs, for hosts whose libstdc++ predates it. GCC 13 calls it from every
// translation unit that includes <iostream>; constructing an ios_base::Init does the same work.
// Built and linked in only on such hosts, by build/TorchSharp.HostFix.targets.
#include <ios>

namespace std
{
    void ios_base_library_init()
    {
        static ios_base::Init init;
    }
}
