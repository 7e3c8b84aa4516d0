"""Stable, machine-readable error codes and their short titles in both app languages.

The backend puts a code in every problem-details response; clients branch on the code and
never on the wording, so a code's value must never change once released.
"""

from enum import StrEnum

# Order of the texts in every (Indonesian, English) pair; Bahasa Indonesia comes first.
LANGUAGES = ("id", "en")


class ErrorCode(StrEnum):
    # Generic HTTP-level failures.
    VALIDATION_FAILED = "validation_failed"
    INVALID_CHARACTERS = "invalid_characters"
    TOO_DEEPLY_NESTED = "too_deeply_nested"
    BODY_TOO_LARGE = "body_too_large"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INTERNAL_ERROR = "internal_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    SERVER_BUSY = "server_busy"
    # Authentication and sessions.
    NOT_AUTHENTICATED = "not_authenticated"
    INVALID_TOKEN = "invalid_token"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_REVOKED = "token_revoked"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"
    INVALID_CREDENTIALS = "invalid_credentials"
    ACCOUNT_INACTIVE = "account_inactive"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    RATE_LIMITED = "rate_limited"
    FORBIDDEN = "forbidden"
    # Accounts.
    CONFLICT = "conflict"
    EMAIL_TAKEN = "email_taken"
    PHONE_TAKEN = "phone_taken"
    WEAK_PASSWORD = "weak_password"
    COMMON_PASSWORD = "common_password"
    CURRENT_PASSWORD_REQUIRED = "current_password_required"
    CURRENT_PASSWORD_WRONG = "current_password_wrong"
    NIK_CLAIM_DECIDED = "nik_claim_decided"
    # Field validators (see shared.validators).
    INVALID_PHONE = "invalid_phone"
    INVALID_NIK = "invalid_nik"
    INVALID_COORDINATES = "invalid_coordinates"
    OUTSIDE_REGION = "outside_region"
    # Workflow and concurrency.
    TRANSITION_NOT_ALLOWED = "transition_not_allowed"
    REOPEN_WINDOW_CLOSED = "reopen_window_closed"
    VERSION_CONFLICT = "version_conflict"
    STEP_NOT_HELD = "step_not_held"
    PRECONDITION_REQUIRED = "precondition_required"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    APPLICATION_INCOMPLETE = "application_incomplete"
    CERTIFICATE_NOT_READY = "certificate_not_ready"
    INVALID_CURSOR = "invalid_cursor"
    # Uploads.
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    FILE_TOO_LARGE = "file_too_large"
    INVALID_FILE = "invalid_file"
    TOO_MANY_PHOTOS = "too_many_photos"
    # Administration.
    REGION_PACK_INVALID = "region_pack_invalid"
    # API clients (OAuth2 client credentials, RFC 6749 error names) and webhooks.
    INVALID_REQUEST = "invalid_request"
    INVALID_CLIENT = "invalid_client"
    INVALID_SCOPE = "invalid_scope"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    INSUFFICIENT_SCOPE = "insufficient_scope"
    CLIENT_NOT_ALLOWED = "client_not_allowed"
    UNSAFE_URL = "unsafe_url"


# Short human titles, (Indonesian, English), used as the problem-details `title`.
MESSAGES: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.VALIDATION_FAILED: ("Data tidak valid", "Invalid data"),
    ErrorCode.INVALID_CHARACTERS: (
        "Teks berisi karakter yang tidak diizinkan",
        "Text holds a character that is not allowed",
    ),
    ErrorCode.TOO_DEEPLY_NESTED: ("Data terlalu dalam bersarang", "Data nested too deeply"),
    ErrorCode.BODY_TOO_LARGE: ("Isi permintaan terlalu besar", "Request body too large"),
    ErrorCode.NOT_FOUND: ("Data tidak ditemukan", "Not found"),
    ErrorCode.METHOD_NOT_ALLOWED: ("Metode tidak diizinkan", "Method not allowed"),
    ErrorCode.INTERNAL_ERROR: ("Terjadi kesalahan pada server", "Internal server error"),
    ErrorCode.SERVICE_UNAVAILABLE: ("Layanan sedang tidak tersedia", "Service unavailable"),
    ErrorCode.SERVER_BUSY: ("Server sedang sibuk", "Server busy"),
    ErrorCode.NOT_AUTHENTICATED: ("Silakan masuk terlebih dahulu", "Not authenticated"),
    ErrorCode.INVALID_TOKEN: ("Token tidak valid", "Invalid token"),
    ErrorCode.TOKEN_EXPIRED: ("Sesi sudah berakhir", "Token expired"),
    ErrorCode.TOKEN_REVOKED: ("Sesi sudah dicabut", "Token revoked"),
    ErrorCode.REFRESH_TOKEN_REUSED: (
        "Token penyegaran sudah pernah dipakai",
        "Refresh token already used",
    ),
    ErrorCode.INVALID_CREDENTIALS: (
        "Nama pengguna atau kata sandi salah",
        "Incorrect username or password",
    ),
    ErrorCode.ACCOUNT_INACTIVE: ("Akun tidak aktif", "Account inactive"),
    ErrorCode.TOO_MANY_ATTEMPTS: (
        "Terlalu banyak percobaan, coba lagi nanti",
        "Too many attempts, try again later",
    ),
    ErrorCode.RATE_LIMITED: (
        "Terlalu banyak permintaan, coba lagi nanti",
        "Too many requests, try again later",
    ),
    ErrorCode.FORBIDDEN: ("Akses ditolak", "Forbidden"),
    ErrorCode.CONFLICT: ("Data bertentangan dengan data yang ada", "Conflict"),
    ErrorCode.EMAIL_TAKEN: ("Email sudah terdaftar", "Email already registered"),
    ErrorCode.PHONE_TAKEN: ("Nomor HP sudah terdaftar", "Phone number already registered"),
    ErrorCode.WEAK_PASSWORD: ("Kata sandi terlalu lemah", "Password too weak"),
    ErrorCode.COMMON_PASSWORD: ("Kata sandi terlalu umum", "Password too common"),
    ErrorCode.CURRENT_PASSWORD_REQUIRED: (
        "Kata sandi saat ini wajib diisi",
        "Current password required",
    ),
    ErrorCode.CURRENT_PASSWORD_WRONG: ("Kata sandi saat ini salah", "Current password is wrong"),
    ErrorCode.NIK_CLAIM_DECIDED: (
        "Klaim NIK ini sudah diputuskan",
        "This NIK claim has already been decided",
    ),
    ErrorCode.INVALID_PHONE: ("Nomor HP tidak valid", "Invalid phone number"),
    ErrorCode.INVALID_NIK: ("NIK tidak valid", "Invalid NIK"),
    ErrorCode.INVALID_COORDINATES: ("Koordinat tidak valid", "Invalid coordinates"),
    ErrorCode.OUTSIDE_REGION: (
        "Lokasi di luar wilayah layanan",
        "Location outside the service area",
    ),
    ErrorCode.TRANSITION_NOT_ALLOWED: (
        "Tindakan tidak diizinkan pada status ini",
        "Action not allowed in this status",
    ),
    ErrorCode.REOPEN_WINDOW_CLOSED: (
        "Batas waktu membuka kembali sudah lewat",
        "Reopen period has ended",
    ),
    ErrorCode.VERSION_CONFLICT: (
        "Data sudah diubah oleh pengguna lain",
        "Changed by someone else meanwhile",
    ),
    ErrorCode.STEP_NOT_HELD: (
        "Tahap ini tidak sedang Anda tangani",
        "You do not hold this step",
    ),
    ErrorCode.PRECONDITION_REQUIRED: (
        "Versi data (If-Match) wajib dikirim",
        "If-Match header required",
    ),
    ErrorCode.IDEMPOTENCY_KEY_REUSED: (
        "Kunci idempotensi sudah dipakai untuk permintaan lain",
        "Idempotency key already used for another request",
    ),
    ErrorCode.APPLICATION_INCOMPLETE: (
        "Permohonan belum lengkap",
        "Application incomplete",
    ),
    ErrorCode.CERTIFICATE_NOT_READY: (
        "Sertifikat sedang disiapkan, coba lagi sebentar lagi",
        "The certificate is being prepared, try again shortly",
    ),
    ErrorCode.INVALID_CURSOR: ("Penanda halaman tidak valid", "Invalid page cursor"),
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: ("Jenis berkas tidak didukung", "Unsupported media type"),
    ErrorCode.FILE_TOO_LARGE: ("Berkas terlalu besar", "File too large"),
    ErrorCode.INVALID_FILE: ("Berkas rusak atau tidak valid", "Invalid or damaged file"),
    ErrorCode.TOO_MANY_PHOTOS: ("Jumlah foto melebihi batas", "Too many photos"),
    ErrorCode.REGION_PACK_INVALID: ("Paket wilayah tidak valid", "Invalid region pack"),
    ErrorCode.INVALID_REQUEST: ("Permintaan token tidak lengkap", "Invalid token request"),
    ErrorCode.INVALID_CLIENT: ("Klien API tidak dikenal", "Client authentication failed"),
    ErrorCode.INVALID_SCOPE: ("Cakupan akses tidak valid", "Invalid scope"),
    ErrorCode.UNSUPPORTED_GRANT_TYPE: (
        "Jenis grant tidak didukung",
        "Unsupported grant type",
    ),
    ErrorCode.INSUFFICIENT_SCOPE: ("Cakupan akses tidak mencukupi", "Insufficient scope"),
    ErrorCode.CLIENT_NOT_ALLOWED: (
        "Klien API tidak boleh memakai layanan ini",
        "Not available to API clients",
    ),
    ErrorCode.UNSAFE_URL: ("Alamat tujuan tidak diizinkan", "Destination address not allowed"),
}


def localize(texts: tuple[str, str], lang: str = "id") -> str:
    """Pick one text of an (Indonesian, English) pair; an unknown language is a caller bug."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}, expected one of {LANGUAGES}")
    return texts[LANGUAGES.index(lang)]


def message(code: ErrorCode, lang: str = "id") -> str:
    """The short human title of an error code in `lang` ("id" or "en")."""
    return localize(MESSAGES[code], lang)
