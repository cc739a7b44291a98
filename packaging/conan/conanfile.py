# Conan 2 recipe for chatkit-cpp (docs/packaging.md#conan--packagingconan). Conan and ConanCenter cannot be reached where this
# is developed, so `conan create` has not been run here; tests/packaging/check_packaging_agreement.cmake checks that this recipe, the vcpkg port
# and the CMake options agree (option names, defaults, version).
#   conan create packaging/conan --build=missing -s compiler.cppstd=20 -o "chatkit-cpp/*:with_postgres=True"
# (run from the checkout root: the recipe exports the checkout's sources, see export_sources).
import os
import re

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load, rmdir
from conan.tools.scm import Version

required_conan_version = ">=2.0"


class ChatkitCppConan(ConanFile):
    name = "chatkit-cpp"
    description = "C++20 SDK for ChatKit servers, streaming OpenAI clients, agents and MCP"
    license = "BSL-1.0"
    url = "https://github.com/chatkit-cpp/chatkit-cpp"
    homepage = "https://github.com/chatkit-cpp/chatkit-cpp"
    topics = ("chatkit", "openai", "agents", "mcp", "sse", "asio", "beast")
    package_type = "library"  # static, or shared with shared=True (BUILD_SHARED_LIBS, docs/packaging.md)
    settings = "os", "arch", "compiler", "build_type"
    # No fPIC option: the layers are always built position-independent (POSITION_INDEPENDENT_CODE ON).
    # Each with_<name> option is the CMake option CHATKIT_WITH_<NAME>, with_tools is CHATKIT_INSTALL_TOOLS
    # (tests/packaging checks the mapping); shared is BUILD_SHARED_LIBS, set by CMakeToolchain.
    options = {
        "shared": [True, False],
        "with_sqlite": [True, False],
        "with_postgres": [True, False],
        "with_mcp": [True, False],
        "with_tools": [True, False],
    }
    default_options = {
        "shared": False,
        "with_sqlite": True,
        "with_postgres": False,
        "with_mcp": True,
        "with_tools": False,
        # Only the compiled Boost libraries the SDK links (json, url; container and system come with them).
        **{f"boost/*:without_{c}": True for c in (
            "atomic", "chrono", "context", "contract", "coroutine", "date_time", "fiber", "filesystem", "graph",
            "graph_parallel", "iostreams", "locale", "log", "math", "mpi", "nowide", "program_options", "python",
            "random", "regex", "serialization", "stacktrace", "test", "thread", "timer", "type_erasure", "wave")},
    }

    # The recipe lives in packaging/conan of the checkout it packages.
    @property
    def _root(self):
        return os.path.join(self.recipe_folder, "..", "..")

    def set_version(self):
        # The version is written once, in project(VERSION) of the top-level CMakeLists.txt.
        text = load(self, os.path.join(self._root, "CMakeLists.txt"))
        self.version = re.search(r"project\(chatkit VERSION ([0-9.]+)", text).group(1)

    def export_sources(self):
        for pattern in ("CMakeLists.txt", "LICENSE", "cmake/*", "include/*", "src/*"):
            copy(self, pattern, src=self._root, dst=self.export_sources_folder)

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        # Public headers include Asio, Beast, JSON, URL, Describe and OpenSSL types, so these are transitive.
        self.requires("boost/[>=1.81.0 <2]", transitive_headers=True, transitive_libs=True)
        self.requires("openssl/[>=3 <4]", transitive_headers=True, transitive_libs=True)
        if self.options.with_sqlite:
            self.requires("sqlite3/[>=3.40 <4]")
        if self.options.with_postgres:
            self.requires("libpq/[>=15 <18]")

    def build_requirements(self):
        self.tool_requires("cmake/[>=3.25 <4]")  # FILE_SET headers, presets version 6

    def validate(self):
        check_min_cppstd(self, 20)
        compiler, version = str(self.settings.compiler), Version(self.settings.compiler.version)
        # GCC 12 destroys aggregate temporaries twice inside co_await expressions (docs/server.md#a-compiler-note);
        # clang before 16 miscompiles the coroutines of the server layer the same way.
        if compiler == "gcc" and version < "13":
            raise ConanInvalidConfiguration(f"{self.ref} needs GCC >= 13 (GCC 12 miscompiles co_await temporaries)")
        if compiler == "clang" and version < "16":
            raise ConanInvalidConfiguration(f"{self.ref} needs clang >= 16")
        if compiler in ("apple-clang", "msvc"):
            raise ConanInvalidConfiguration(f"{self.ref} is built and tested with clang and GCC on Linux only")
        if self.options.with_tools and not (self.options.with_sqlite and self.options.with_mcp):
            raise ConanInvalidConfiguration(f"{self.ref}: with_tools needs with_sqlite and with_mcp (task_bot uses them)")
        boost = self.dependencies["boost"].options
        if boost.get_safe("without_json") or boost.get_safe("without_url"):
            raise ConanInvalidConfiguration(f"{self.ref} needs boost with json and url")

    def generate(self):
        tc = CMakeToolchain(self)
        # chatkit is the top-level project here, so its tests/examples/benchmarks would default ON.
        tc.cache_variables["CHATKIT_BUILD_TESTS"] = False
        tc.cache_variables["CHATKIT_BUILD_EXAMPLES"] = False
        tc.cache_variables["CHATKIT_BUILD_BENCH"] = False
        tc.cache_variables["CHATKIT_INSTALL"] = True
        tc.cache_variables["CHATKIT_WERROR"] = False
        tc.cache_variables["CHATKIT_SANITIZE"] = False
        tc.cache_variables["CHATKIT_WITH_SQLITE"] = bool(self.options.with_sqlite)
        tc.cache_variables["CHATKIT_WITH_POSTGRES"] = bool(self.options.with_postgres)
        tc.cache_variables["CHATKIT_WITH_MCP"] = bool(self.options.with_mcp)
        tc.cache_variables["CHATKIT_INSTALL_TOOLS"] = bool(self.options.with_tools)
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        CMake(self).install()
        # Consumers get CMake and pkg-config files from Conan's generators (CMakeDeps, PkgConfigDeps), built
        # from package_info() below; the project's own would point at paths Conan does not manage.
        rmdir(self, os.path.join(self.package_folder, "lib", "cmake"))
        rmdir(self, os.path.join(self.package_folder, "lib", "pkgconfig"))

    def package_info(self):
        # Consumers use the same names as with the CMake package: find_package(chatkit), chatkit::<layer>.
        self.cpp_info.set_property("cmake_file_name", "chatkit")
        self.cpp_info.set_property("cmake_target_name", "chatkit::chatkit")
        self.cpp_info.set_property("pkg_config_name", "chatkit")

        def layer(name, requires):
            component = self.cpp_info.components[name]
            component.set_property("cmake_target_name", f"chatkit::{name}")
            component.libs = [f"chatkit_{name}"]
            component.requires = requires
            return component

        # The layers and their link dependencies, as in src/CMakeLists.txt.
        asio = layer("asio", ["boost::headers", "openssl::openssl"])
        asio.defines = ["BOOST_ASIO_SEPARATE_COMPILATION", "BOOST_BEAST_SEPARATE_COMPILATION",
                        "BOOST_ASIO_NO_DEPRECATED"]
        if self.settings.os in ("Linux", "FreeBSD"):
            asio.system_libs = ["pthread"]
        layer("protocol", ["boost::json", "boost::headers"])
        layer("store", ["protocol", "asio"])
        layer("server", ["store"])
        layer("http", ["protocol", "asio", "boost::url"])
        layer("openai", ["asio", "boost::json", "boost::url"])
        layer("agents", ["server", "openai"])
        if self.options.with_mcp:
            layer("mcp", ["agents", "http", "boost::json"])
        if self.options.with_sqlite:
            layer("sqlite", ["store", "sqlite3::sqlite3"])
        if self.options.with_postgres:
            layer("postgres", ["store", "libpq::libpq"])
