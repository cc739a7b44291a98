# Conan 2 recipe for chatkit-cpp — UNTESTED: Conan and ConanCenter could not be reached where this was
# written. It follows the CMake options and targets verified by tests/consumer (see docs/packaging.md).
#   conan create packaging/conan --build=missing -o "chatkit-cpp/*:postgres=True"
# (run from the checkout root: the recipe exports the checkout's sources, see export_sources).
import os

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy
from conan.tools.scm import Version

required_conan_version = ">=2.0"


class ChatkitCppConan(ConanFile):
    name = "chatkit-cpp"
    version = "0.1.0"
    description = "C++20 SDK for ChatKit servers, streaming OpenAI clients and agents"
    license = "BSL-1.0"
    topics = ("chatkit", "openai", "agents", "sse", "asio", "beast")
    package_type = "static-library"  # every layer is a STATIC library (src/CMakeLists.txt)
    settings = "os", "arch", "compiler", "build_type"
    # No fPIC option: the layers are always built position-independent (POSITION_INDEPENDENT_CODE ON).
    options = {
        "sqlite": [True, False],
        "postgres": [True, False],
    }
    default_options = {
        "sqlite": True,
        "postgres": False,
    }

    # The recipe lives in packaging/conan of the checkout it packages.
    @property
    def _root(self):
        return os.path.join(self.recipe_folder, "..", "..")

    def export_sources(self):
        for pattern in ("CMakeLists.txt", "LICENSE", "cmake/*", "include/*", "src/*"):
            copy(self, pattern, src=self._root, dst=self.export_sources_folder)

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        # Public headers include Asio, Beast, JSON, URL, Describe and OpenSSL types, so these are transitive.
        self.requires("boost/[>=1.81.0 <2]", transitive_headers=True, transitive_libs=True)
        self.requires("openssl/[>=3 <4]", transitive_headers=True, transitive_libs=True)
        if self.options.sqlite:
            self.requires("sqlite3/[>=3.40 <4]")
        if self.options.postgres:
            self.requires("libpq/[>=15 <18]")

    def validate(self):
        check_min_cppstd(self, 20)
        # GCC 12 destroys aggregate temporaries twice inside co_await expressions (docs/server.md).
        if self.settings.compiler == "gcc" and Version(self.settings.compiler.version) < "13":
            raise ConanInvalidConfiguration("chatkit-cpp needs GCC >= 13 or clang >= 16 (GCC 12 miscompiles "
                                            "aggregate temporaries in co_await expressions)")
        if self.settings.compiler == "msvc":
            raise ConanInvalidConfiguration("chatkit-cpp is built and tested with clang and GCC only")
        # The layers use Boost.JSON and Boost.URL as compiled libraries.
        if self.dependencies["boost"].options.get_safe("without_json") or \
                self.dependencies["boost"].options.get_safe("without_url"):
            raise ConanInvalidConfiguration("chatkit-cpp needs boost with json and url")

    def generate(self):
        tc = CMakeToolchain(self)
        # chatkit is the top-level project here, so its tests/examples/benchmarks would default ON.
        tc.cache_variables["CHATKIT_BUILD_TESTS"] = False
        tc.cache_variables["CHATKIT_BUILD_EXAMPLES"] = False
        tc.cache_variables["CHATKIT_BUILD_BENCH"] = False
        tc.cache_variables["CHATKIT_INSTALL"] = True
        tc.cache_variables["CHATKIT_WERROR"] = False
        tc.cache_variables["CHATKIT_SANITIZE"] = False
        tc.cache_variables["CHATKIT_WITH_SQLITE"] = bool(self.options.sqlite)
        tc.cache_variables["CHATKIT_WITH_POSTGRES"] = bool(self.options.postgres)
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        CMake(self).install()

    def package_info(self):
        # Consumers use the same names as with the CMake package: find_package(chatkit), chatkit::<layer>.
        self.cpp_info.set_property("cmake_file_name", "chatkit")
        self.cpp_info.set_property("cmake_target_name", "chatkit::chatkit")

        def layer(name, requires):
            component = self.cpp_info.components[name]
            component.set_property("cmake_target_name", f"chatkit::{name}")
            component.libs = [f"chatkit_{name}"]
            component.requires = requires
            return component

        # The layers and their link dependencies, as in src/CMakeLists.txt.
        asio = layer("asio", ["boost::boost", "openssl::openssl"])
        asio.defines = ["BOOST_ASIO_SEPARATE_COMPILATION", "BOOST_BEAST_SEPARATE_COMPILATION",
                        "BOOST_ASIO_NO_DEPRECATED"]
        if self.settings.os in ("Linux", "FreeBSD"):
            asio.system_libs = ["pthread"]
        layer("protocol", ["boost::boost"])
        layer("store", ["protocol", "asio"])
        layer("server", ["store"])
        layer("http", ["protocol", "asio", "boost::boost"])
        layer("openai", ["asio", "boost::boost"])
        layer("agents", ["server", "openai"])
        if self.options.sqlite:
            layer("sqlite", ["store", "sqlite3::sqlite3"])
        if self.options.postgres:
            layer("postgres", ["store", "libpq::libpq"])
