"""NIST CAVP RSA signature vectors (FIPS 186-3) run through strongroom.crypto.signing.

Source: NIST CAVP "186-3rsatestvectors.zip"
(https://csrc.nist.gov/CSRC/media/Projects/Cryptographic-Algorithm-Validation-Program/documents/dss/186-3rsatestvectors.zip),
files SigGen15_186-3.txt (RSASSA-PKCS1-v1_5, [mod = 2048], first message of each SHAAlg) and
SigGenPSS_186-3.txt (RSASSA-PSS, [mod = 2048] SHA256 and [mod = 3072] SHA256/SHA384). The files
give n, e, d, Msg and S (and SaltVal for PSS); p and q are recovered from (n, e, d) here.

PKCS#1 v1.5 is deterministic, so signing through Strongroom must give S byte for byte. PSS is
randomized: the vectors whose salt is as long as the digest (what OCI's *_RSA_PKCS_PSS schemes use)
must verify; one with a 20-byte salt must not, because the scheme fixes the salt length.
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom.crypto.signing import SCHEMES, MessageType, sign, verify

# fmt: off
PKCS1_N = (
    "cea80475324c1dc8347827818da58bac069d3419c614a6ea1ac6a3b510dcd72c"
    "c516954905e9fef908d45e13006adf27d467a7d83c111d1a5df15ef293771aef"
    "b920032a5bb989f8e4f5e1b05093d3f130f984c07a772a3683f4dc6fb28a9681"
    "5b32123ccdd13954f19d5b8b24a103e771a34c328755c65ed64e1924ffd04d30"
    "b2142cc262f6e0048fef6dbc652f21479ea1c4b1d66d28f4d46ef7185e390cbf"
    "a2e02380582f3188bb94ebbf05d31487a09aff01fcbb4cd4bfd1f0a833b38c11"
    "813c84360bb53c7d4481031c40bad8713bb6b835cb08098ed15ba31ee4ba728a"
    "8c8e10f7294e1b4163b7aee57277bfd881a6f9d43e02c6925aa3a043fb7fb78d"
)
PKCS1_E = "260445"
PKCS1_D = (
    "0997634c477c1a039d44c810b2aaa3c7862b0b88d3708272e1e15f66fc938970"
    "9f8a11f3ea6a5af7effa2d01c189c50f0d5bcbe3fa272e56cfc4a4e1d388a9dc"
    "d65df8628902556c8b6bb6a641709b5a35dd2622c73d4640bfa1359d0e76e1f2"
    "19f8e33eb9bd0b59ec198eb2fccaae0346bd8b401e12e3c67cb629569c185a2e"
    "0f35a2f741644c1cca5ebb139d77a89a2953fc5e30048c0e619f07c8d21d1e56"
    "b8af07193d0fdf3f49cd49f2ef3138b5138862f1470bd2d16e34a2b9e7777a6c"
    "8c8d4cb94b4e8b5d616cd5393753e7b0f31cc7da559ba8e98d888914e334773b"
    "af498ad88d9631eb5fe32e53a4145bf0ba548bf2b0a50c63f67b14e398a34b0d"
)
PKCS1_SHA256_MSG = (
    "5af283b1b76ab2a695d794c23b35ca7371fc779e92ebf589e304c7f923d8cf97"
    "6304c19818fcd89d6f07c8d8e08bf371068bdf28ae6ee83b2e02328af8c0e2f9"
    "6e528e16f852f1fc5455e4772e288a68f159ca6bdcf902b858a1f94789b31638"
    "23e2d0717ff56689eec7d0e54d93f520d96e1eb04515abc70ae90578ff38d31b"
)
PKCS1_SHA256_SIG = (
    "6b8be97d9e518a2ede746ff4a7d91a84a1fc665b52f154a927650db6e7348c69"
    "f8c8881f7bcf9b1a6d3366eed30c3aed4e93c203c43f5528a45de791895747ad"
    "e9c5fa5eee81427edee02082147aa311712a6ad5fb1732e93b3d6cd23ffd46a0"
    "b3caf62a8b69957cc68ae39f9993c1a779599cdda949bdaababb77f248fcfeaa"
    "44059be5459fb9b899278e929528ee130facd53372ecbc42f3e8de2998425860"
    "406440f248d817432de687112e504d734028e6c5620fa282ca07647006cf0a2f"
    "f83e19a916554cc61810c2e855305db4e5cf893a6a96767365794556ff033359"
    "084d7e38a8456e68e21155b76151314a29875feee09557161cbc654541e89e42"
)
PKCS1_SHA384_MSG = (
    "6cd59fdd3efd893d091afdc3155d354f10d6d88167427a2cf7246207e51791a6"
    "ca6200a914cd2834a9b3c79fcd59e26e457e0683bc33d49267edbdd6e5d90902"
    "696f1e7b1a4affc4ba371339868c28015ebbb73e262669866c35db974ba69e46"
    "8f2583b9191d15d686cd66fb0b9e0ff0a3b4721a6dc342f14f2446b4e028595b"
)
PKCS1_SHA384_SIG = (
    "3974900bec3fcb081f0e5a299adf30d087aabaa633911410e87a4979bbe3fa80"
    "c3abcf221686399a49bc2f1e5ac40c35df1700e4b9cb7c805a896646573f4a57"
    "0a9704d2a2e6baee4b43d916906884ad3cf283529ea265e8fcb5cc1bdf7b7dee"
    "85941e4b4fb25c1fc7b951fb129ab393cb069be271c1d954da3c43674309f1d2"
    "12826fabb8e812de2d53d12597de040d32cb28c9f813159cb18c1b51f7a874cb"
    "f229cc222caeb98e35ec5e4bf5c5e22cc8528631f15117e8c2be6eac91f4070e"
    "ecdd07ecc6db6c46eaa65f472f2006988efef0b51c538c6e04d7519c8e3da4b1"
    "72b1e2761089ed3ad1197992ef37c168dc881c8b5f8bbfee919f7c7afd25b8fc"
)
PKCS1_SHA512_MSG = (
    "a7c309d44a57188bbd7b726b98b98ce12582228e1415864870a23961d2afb82c"
    "d5bc98bec922d5f2ac4168b056da176ef3ba91f6b699ba6acc4144868ff37f26"
    "fd06720868d12ad26ecb52572cf10416af68df03ab645a8b704857d2190ffc3f"
    "07eabe3a8e2abe34ed6159e884c4fae141d4333d5c3e0db044ff9cccd9cbd67f"
)
PKCS1_SHA512_SIG = (
    "148af61ed5ea8a87a08b3f403929bf8031db4fd3999b64409ba489f97a3ee520"
    "8ea4202d2ec18734f615003a51f77441085be6ac0f11810ffa2dad58f0e186d5"
    "520ac2b8a5d3966e8d2abb8074e13b50a4e7de83be10a66fdc7ca18118c5774f"
    "781212de9efebc6376fcdddc65a3b1b8f1ab31492fe478259ce719b3db587498"
    "d879a01dec96e8eabeb07ff7073f3f3eb446084955ca26329a791315a2c259d2"
    "25e26b2154b2047b21faba68115bfd962e5e24ec52d7c5d231e3044cbcd8c880"
    "4855703cbaa622b15b6ef78c7421a367166f1b02576c87360593da75b7189efa"
    "fd1082bd59f6857f1701f646c24d70c95273c49d5b11e6afe258821b55c1680c"
)
PSS2048_N = (
    "c5062b58d8539c765e1e5dbaf14cf75dd56c2e13105fecfd1a930bbb5948ff32"
    "8f126abe779359ca59bca752c308d281573bc6178b6c0fef7dc445e4f8264304"
    "37b9f9d790581de5749c2cb9cb26d42b2fee15b6b26f09c99670336423b86bc5"
    "bec71113157be2d944d7ff3eebffb28413143ea36755db0ae62ff5b724eecb3d"
    "316b6bac67e89cacd8171937e2ab19bd353a89acea8c36f81c89a620d5fd2eff"
    "ea896601c7f9daca7f033f635a3a943331d1b1b4f5288790b53af352f1121ca1"
    "bef205f40dc012c412b40bdd27585b946466d75f7ee0a7f9d549b4bece6f43ac"
    "3ee65fe7fd37123359d9f1a850ad450aaf5c94eb11dea3fc0fc6e9856b1805ef"
)
PSS2048_E = "86c94f"
PSS2048_D = (
    "49e5786bb4d332f94586327bde088875379b75d128488f08e574ab4715302a87"
    "eea52d4c4a23d8b97af7944804337c5f55e16ba9ffafc0c9fd9b88eca443f39b"
    "7967170ddb8ce7ddb93c6087c8066c4a95538a441b9dc80dc9f7810054fd1e5c"
    "9d0250c978bb2d748abe1e9465d71a8165d3126dce5db2adacc003e9062ba37a"
    "54b63e5f49a4eafebd7e4bf5b0a796c2b3a950fa09c798d3fa3e86c4b62c33ba"
    "9365eda054e5fe74a41f21b595026acf1093c90a8c71722f91af1ed29a41a244"
    "9a320fc7ba3120e3e8c3e4240c04925cc698ecd66c7c906bdf240adad972b4df"
    "f4869d400b5d13e33eeba38e075e872b0ed3e91cc9c283867a4ffc3901d2069f"
)
PSS2048_SHA256_MSG = (
    "dfc22604b95d15328059745c6c98eb9dfb347cf9f170aff19deeec555f22285a"
    "6706c4ecbf0fb1458c60d9bf913fbae6f4c554d245d946b4bc5f34aec2ac6be8"
    "b33dc8e0e3a9d601dfd53678f5674443f67df78a3a9e0933e5f158b169ac8d1c"
    "4cd0fb872c14ca8e001e542ea0f9cfda88c42dcad8a74097a00c22055b0bd41f"
)
PSS2048_SHA256_SIG = (
    "8b46f2c889d819f860af0a6c4c889e4d1436c6ca174464d22ae11b9ccc265d74"
    "3c67e569accbc5a80d4dd5f1bf4039e23de52aece40291c75f8936c58c9a2f77"
    "a780bbe7ad31eb76742f7b2b8b14ca1a7196af7e673a3cfc237d50f615b75cf4"
    "a7ea78a948bedaf9242494b41e1db51f437f15fd2551bb5d24eefb1c3e60f036"
    "94d0033a1e0a9b9f5e4ab97d457dff9b9da516dc226d6d6529500308ed74a2e6"
    "d9f3c10595788a52a1bc0664aedf33efc8badd037eb7b880772bdb04a6046e9e"
    "deee4197c25507fb0f11ab1c9f63f53c8820ea8405cfd7721692475b4d72355f"
    "a9a3804f29e6b6a7b059c4441d54b28e4eed2529c6103b5432c71332ce742bcc"
)
PSS2048_SHA256_SALT = "e1256fc1eeef81773fdd54657e4007fde6bcb9b1"
PSS3072_N = (
    "a7a1882a7fb896786034d07fb1b9f6327c27bdd7ce6fe39c285ae3b6c34259ad"
    "c0dc4f7b9c7dec3ca4a20d3407339eedd7a12a421da18f5954673cac2ff05915"
    "6ecc73c6861ec761e6a0f2a5a033a6768c6a42d8b459e1b4932349e84efd92df"
    "59b45935f3d0e30817c66201aa99d07ae36c5d74f408d69cc08f044151ff4960"
    "e531360cb19077833adf7bce77ecfaa133c0ccc63c93b856814569e0b9884ee5"
    "54061b9a20ab46c38263c094dae791aa61a17f8d16f0e85b7e5ce3b067ece89e"
    "20bc4e8f1ae814b276d234e04f4e766f501da74ea7e3817c24ea35d016676cec"
    "e652b823b051625573ca92757fc720d254ecf1dcbbfd21d98307561ecaab5454"
    "80c7c52ad7e9fa6b597f5fe550559c2fe923205ac1761a99737ca02d7b19822e"
    "008a8969349c87fb874c81620e38f613c8521f0381fe5ba55b74827dad3e1cf2"
    "aa29c6933629f2b286ad11be88fa6436e7e3f64a75e3595290dc0d1cd5eee7aa"
    "ac54959cc53bd5a934a365e72dd81a2bd4fb9a67821bffedf2ef2bd94913de8b"
)
PSS3072_E = "1415a7"
PSS3072_D = (
    "073a5fc4cd642f6113dffc4f84035cee3a2b8acc549703751a1d6a5eaa134872"
    "29a58ef7d7a522bb9f4f25510f1aa0f74c6a8fc8a5c5be8b91a674ede50e92f7"
    "e34a90a3c9da999fffb1d695e4588f451256c163484c151350cb9c7825a7d910"
    "845ee5cf826fecf9a7c0fbbbba22bb4a531c131d2e7761ba898f002ebef8ab87"
    "218511f81d3266e1ec07a7ca8622514c6dfdc86c67679a2c8f5f031de9a0c22b"
    "5a88060b46ee0c64d3b9af3c0a379bcd9c6a1b51cf6480456d3fd6def94cd2a6"
    "c171dd3f010e3c9d662bc857208248c94ebcb9fd997b9ff4a7e5fd9555856990"
    "6525e741d78344f6f6cfdbd59d4faa52ee3fa964fb7cccb2d6be1935d211fe14"
    "98217716273939a946081fd8509913fd47747c5c2f03efd4d6fc9c6fcfd8402e"
    "9f40a0a5b3de3ca2b3c0fac9456938faa6cf2c20e3912e5981c9876d8ca1ff29"
    "b87a15eeae0ccce3f8a8f1e405091c083b98bcc5fe0d0deaae33c67c0394437f"
    "0eccb385b7efb17aeebba8afaecca30a2f63eac8f0ac8f1eacad85bbcaf3960b"
)
PSS3072_SHA256_MSG = (
    "c16499110ed577202aed2d3e4d51ded6c66373faef6533a860e1934c63484f87"
    "a8d9b92f3ac45197b2909710abba1daf759fe0510e9bd8dd4d73cec961f06ee0"
    "7acd9d42c6d40dac9f430ef90374a7e944bde5220096737454f96b614d0f6cdd"
    "9f08ed529a4ad0e759cf3a023dc8a30b9a872974af9b2af6dc3d111d0feb7006"
)
PSS3072_SHA256_SIG = (
    "4335707da735cfd10411c9c048ca9b60bb46e2fe361e51fbe336f9508dc945af"
    "e075503d24f836610f2178996b52c411693052d5d7aed97654a40074ed20ed66"
    "89c0501b7fbac21dc46b665ac079760086414406cd66f8537d1ebf0dce4cf0c9"
    "8d4c30c71da359e9cd401ff49718fdd4d0f99efe70ad8dd8ba1304cefb88f24b"
    "0eedf70116da15932c76f0069551a245b5fc3b91ec101f1d63b9853b598c6fa1"
    "c1acdbacf9626356c760119be0955644301896d9d0d3ea5e6443cb72ca29f4d4"
    "5246d16d74d00568c219182feb191179e4593dc152c608fd80536329a533b3a6"
    "31566814cd654f587c2d8ce696085e6ed1b0b0278e60a049ec7a399f94fccae6"
    "462371a69695ef525e00936fa7d9781f9ee289d4105ee827a27996583033cedb"
    "2f297e7b4926d906ce0d09d84128406ab33d7da0f8a1d4d2f666568686c394d1"
    "39b0e5e99337758de85910a5fa25ca2aa6d8fb1c777244e7d98de4c79bbd426a"
    "5e6f657e37477e01247432f83797fbf31b50d02b83f69ded26d4945b2bc3f86e"
)
PSS3072_SHA256_SALT = "3e07ade72a3f52530f53135a5d7d93217435ba001ea55a8f5d5d1304684874bc"
PSS3072_SHA384_MSG = (
    "9221f0fe9115843554d5685d9fe69dc49e95ceb5793986e428b8a10b894c01d6"
    "af8782fd7d952faf74c2b637ca3b19dabc19a7fe259b2b924eb363a908c5b368"
    "f8ab1b2333fc67c30b8ea56b2839dc5bdadefb14ada810bc3e92bac54e2ae1ca"
    "1594a4b9d8d19337be421f40e0674e0e9fedb43d3ae89e2ca05d90a68203f2c2"
)
PSS3072_SHA384_SIG = (
    "9687115be478e4b642cd369392b9dd0f3576e704af7218b1f94d7f8fe7f07073"
    "e3e8e1186fa768977d6b514e513459f2373df6ec52e3de9bd83fcc5cc3e6b97f"
    "8b3fb534163c64f5267620700e9d8c52b3df61a7c3748ef159d6b390895afa3a"
    "f59109a5478d016d96c49f68dfc735ba2aafd5012c13515ed6644f0d4109c455"
    "56e14a3821e1aa24beb8a81a48da27f131de84f7ba51581d81b8ff31ba92b8a1"
    "fde867f07e32e6c2709253448174dd31324dbc32b05f07587f76a9997decb80f"
    "38d8c13d0f6eb3c10e3d96a2293f7464f1e04602ef6e84c2d0245d7db256a67d"
    "132a47cae9abe06b61a8968f50a1749995dc15ef0dcb1d5f5959e4d454c8547b"
    "bb4d195698f484617bfd122acaae2d0e8c76d28b24005ab03caa781ea97b1c4d"
    "9396a16f7998eee7ddd9de4cabe57032d9438a5d99c6b34a956122350263c7e9"
    "98bc61dec91381012e686d079e39e96b1ea4bfdb7cdf630ddb422c6b580e5506"
    "c9cc3d6c100f2041d17ceaaaa54589249f04a1370ffa3bf3ff1adeb890688698"
)
PSS3072_SHA384_SALT = (
    "61a762f8968d5f367e2dbcacb4021653dc75437d9000e3169d943729703837a5"
    "cbf4de62bdedc95fd0d1004e84751452"
)
# fmt: on


def _material(n: str, e: str, d: str) -> bytes:
    """PKCS#8 DER private key material (as Strongroom stores it) from the vector's n, e, d."""
    n_, e_, d_ = int(n, 16), int(e, 16), int(d, 16)
    p, q = rsa.rsa_recover_prime_factors(n_, e_, d_)
    numbers = rsa.RSAPrivateNumbers(
        p,
        q,
        d_,
        rsa.rsa_crt_dmp1(d_, p),
        rsa.rsa_crt_dmq1(d_, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e_, n_),
    )
    return numbers.private_key().private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="module")
def pkcs1_material() -> bytes:
    return _material(PKCS1_N, PKCS1_E, PKCS1_D)


@pytest.fixture(scope="module")
def pss2048_material() -> bytes:
    return _material(PSS2048_N, PSS2048_E, PSS2048_D)


@pytest.fixture(scope="module")
def pss3072_material() -> bytes:
    return _material(PSS3072_N, PSS3072_E, PSS3072_D)


PKCS1_CASES = [
    ("SHA_256_RSA_PKCS1_V1_5", PKCS1_SHA256_MSG, PKCS1_SHA256_SIG),
    ("SHA_384_RSA_PKCS1_V1_5", PKCS1_SHA384_MSG, PKCS1_SHA384_SIG),
    ("SHA_512_RSA_PKCS1_V1_5", PKCS1_SHA512_MSG, PKCS1_SHA512_SIG),
]


@pytest.mark.parametrize(("scheme", "msg", "sig"), PKCS1_CASES)
def test_pkcs1v15_signing_reproduces_the_vector(
    scheme: str, msg: str, sig: str, pkcs1_material: bytes
) -> None:
    signature = sign(pkcs1_material, SCHEMES[scheme], bytes.fromhex(msg), MessageType.RAW)
    assert signature.hex() == sig


@pytest.mark.parametrize(("scheme", "msg", "sig"), PKCS1_CASES)
def test_pkcs1v15_vector_verifies_raw_and_as_digest(
    scheme: str, msg: str, sig: str, pkcs1_material: bytes
) -> None:
    s = SCHEMES[scheme]
    message = bytes.fromhex(msg)
    signature = bytes.fromhex(sig)
    assert verify(pkcs1_material, s, message, MessageType.RAW, signature)
    digest = hashlib.new(s.hash().name, message).digest()
    assert verify(pkcs1_material, s, digest, MessageType.DIGEST, signature)
    assert sign(pkcs1_material, s, digest, MessageType.DIGEST) == signature


@pytest.mark.parametrize(("scheme", "msg", "sig"), PKCS1_CASES)
def test_pkcs1v15_vector_fails_for_a_changed_message_or_signature(
    scheme: str, msg: str, sig: str, pkcs1_material: bytes
) -> None:
    s = SCHEMES[scheme]
    message = bytes.fromhex(msg)
    signature = bytes.fromhex(sig)
    assert not verify(pkcs1_material, s, message[:-1] + b"\x00", MessageType.RAW, signature)
    assert not verify(pkcs1_material, s, message, MessageType.RAW, signature[:-1] + b"\x00")


def test_pkcs1v15_vector_fails_under_another_hash(pkcs1_material: bytes) -> None:
    assert not verify(
        pkcs1_material,
        SCHEMES["SHA_384_RSA_PKCS1_V1_5"],
        bytes.fromhex(PKCS1_SHA256_MSG),
        MessageType.RAW,
        bytes.fromhex(PKCS1_SHA256_SIG),
    )


PSS_CASES = [
    ("SHA_256_RSA_PKCS_PSS", PSS3072_SHA256_MSG, PSS3072_SHA256_SIG, PSS3072_SHA256_SALT),
    ("SHA_384_RSA_PKCS_PSS", PSS3072_SHA384_MSG, PSS3072_SHA384_SIG, PSS3072_SHA384_SALT),
]


@pytest.mark.parametrize(("scheme", "msg", "sig", "salt"), PSS_CASES)
def test_pss_vector_with_digest_length_salt_verifies(
    scheme: str, msg: str, sig: str, salt: str, pss3072_material: bytes
) -> None:
    s = SCHEMES[scheme]
    assert len(bytes.fromhex(salt)) == s.hash().digest_size
    message = bytes.fromhex(msg)
    signature = bytes.fromhex(sig)
    assert verify(pss3072_material, s, message, MessageType.RAW, signature)
    assert not verify(pss3072_material, s, message + b"\x00", MessageType.RAW, signature)
    # Signing is randomized; a fresh signature over the vector message verifies too.
    fresh = sign(pss3072_material, s, message, MessageType.RAW)
    assert fresh != signature
    assert verify(pss3072_material, s, message, MessageType.RAW, fresh)


def test_pss_vector_with_a_shorter_salt_is_refused(pss2048_material: bytes) -> None:
    """SigGenPSS [mod = 2048] SHA256 uses a 20-byte salt; OCI's PSS schemes fix it at 32."""
    assert len(bytes.fromhex(PSS2048_SHA256_SALT)) == 20
    assert not verify(
        pss2048_material,
        SCHEMES["SHA_256_RSA_PKCS_PSS"],
        bytes.fromhex(PSS2048_SHA256_MSG),
        MessageType.RAW,
        bytes.fromhex(PSS2048_SHA256_SIG),
    )
