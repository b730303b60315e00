# Web UI strings — English (the second language).
# Every key must also be in vi.ftl (checked by i18n::tests).

app-name = Bangtin
app-tagline = Public information boards
lang-switch = Tiếng Việt
lang-switch-label = Switch to Vietnamese (Chuyển sang tiếng Việt)

nav-main = Main navigation
nav-boards = Boards
nav-media = Media
nav-layouts = Layouts
nav-schedules = Schedules
nav-info = Essential information
nav-speakers = Loudspeakers
nav-reports = Reports
nav-admin = Administration
nav-skip = Skip to main content

sign-in = Sign in
sign-in-title = Sign in to manage the boards
sign-out = Sign out
username = User name
password = Password
signed-in-as = Signed in as { $name }

password-title = Change password
password-must-change = An administrator set your password. Choose a new one before you go on.
password-new = New password (at least 10 characters)
password-repeat = Repeat the new password
password-mismatch = The two passwords differ.
password-changed = Password changed.
password-change = Change password

save = Save
cancel = Cancel
apply = Apply
search = Search
filter = Filter
all = All
none = None
yes = Yes
no = No
back = Back
delete = Delete
confirm = Confirm
previous = Previous
next = Next
page-of = Page { $page } of { $pages }
saved = Saved.
error-title = Something went wrong
not-found-title = Page not found
not-found-text = This page does not exist, or you may not see it.
forbidden-title = Not allowed
error-field = Problem in { $field }: { $message }
read-only = You may only look.

ago-now = just now
ago-minutes = { $n ->
    [one] { $n } minute ago
   *[other] { $n } minutes ago
}
ago-hours = { $n ->
    [one] { $n } hour ago
   *[other] { $n } hours ago
}
ago-days = { $n ->
    [one] { $n } day ago
   *[other] { $n } days ago
}
never = never
for-minutes = { $n } min
for-hours = { $n } h
for-days = { $n ->
    [one] { $n } day
   *[other] { $n } days
}

weekday-0 = Sunday
weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday

## Media library
media-title = Media library
media-library = Files
media-results = Upload results
media-open = Open
media-upload-title = Upload files
media-pick = Choose or drop files here (several at once)
media-limits = PNG, JPEG, WebP pictures; videos; audio. Limit: { $size }
media-upload-button = Upload
media-upload-ok = Uploaded.
media-upload-dup = Already in the library as “{ $name }”.
media-upload-dup-short = Already in the library.
media-upload-cut = The upload was interrupted
media-upload-waiting = Waiting…
media-upload-none = No file was chosen.
media-too-many = At most { $n } files per upload; this one was not uploaded.
media-unit = Unit
media-unit-open = Open unit
media-search = Search by name
media-kind = Type
media-kind-image = Picture
media-kind-video = Video
media-kind-audio = Audio
media-count = { $n ->
    [one] 1 file
   *[other] { $n } files
}
media-empty = The library has no files yet.
media-no-match = No file matches.
media-uploaded-at = Uploaded { $when }
media-unused = Not used
media-in-layouts = { $n ->
    [one] Used in 1 layout
   *[other] Used in { $n } layouts
}
media-on-boards = { $n ->
    [one] Playing on 1 board
   *[other] Playing on { $n } boards
}
media-pages = Library pages
media-page = Page
media-back = Media library
media-preview = Preview
media-no-player = This browser cannot play this file.
media-download = Download the file
media-facts = File details
media-fact-kind = Type
media-fact-size = Size
media-fact-dimensions = Dimensions
media-fact-duration = Duration
media-fact-codec = Codec
media-fact-uploaded = Uploaded
media-usage = Where it is used
media-usage-layouts = Layouts
media-usage-boards = Boards playing it
media-delete-title = Delete the file
media-delete-in-use = The file is in a published show of a board: the manager will refuse to delete it.
media-delete-layouts = Layouts use this file: once deleted, they cannot be published until the file is replaced.
media-delete-confirm = Delete “{ $name }” from the library?
media-deleted = Deleted “{ $name }”.
