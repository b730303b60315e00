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

## Layout editor
editor-nav = Layouts
editor-title = Screen layouts
editor-new = New layout
editor-new-name = New layout
editor-unit = Unit
editor-template = Start from a template
editor-tpl-full = Full screen
editor-tpl-main-ticker = Main content and ticker
editor-tpl-main-side-ticker = Main content, side column and ticker
editor-tpl-grid = Four panes (2×2)
editor-tpl-led = LED board 384×192
editor-tpl-portrait = Portrait screen
editor-tpl-commune = Commune office board
editor-tpl-blank = Blank board of any size
editor-blank-hint = Width and height apply to a blank board only (16–8192 pixels).
editor-start = Start editing
editor-none = No layouts yet.
editor-version = Version
editor-version-n = Version { $n }
editor-updated = Updated
editor-actions = Actions
editor-history = Version history
editor-current = current
editor-open-version = Open this version to edit
editor-editing-old = the current one is { $n }; saving makes a new version
editor-show = Show
editor-saved = Saved as version { $n }.
editor-has-errors = Not saved: correct the marked fields.
editor-save = Save as a new version
editor-board = Board
editor-board-drawing = The board drawn to scale
editor-board-fields = Board settings
editor-drag-hint = Drag a zone to move it, drag its edges to resize (mouse or finger); or type exact numbers for each zone.
editor-preview = Preview
editor-preview-at = Preview time
editor-preview-draft = Preview this draft
editor-preview-alt = Preview drawn by the player
editor-preview-of = Preview of version { $n }
editor-preview-working = Drawing the preview…
editor-preview-missing = The player program that draws previews was not found (looked at: { $looked }). Set BANGTIN_PLAYER or the player field of the configuration.
editor-preview-busy = The renderer is busy with another preview; try again in a moment.
editor-preview-timeout = Drawing the preview took longer than { $n } seconds and was stopped; the manager carries on.
editor-preview-failed = The player could not draw the preview: { $why }
editor-zones = Zones
editor-zone-title = Zone { $id }
editor-zone-more = More zone options
editor-playlist = Playlist
editor-item-more = Duration, validity, transition
editor-up = Up
editor-down = Down
editor-remove-item = Remove item
editor-add-item = Add item
editor-remove-zone = Delete zone
editor-add-zone = Add zone
editor-not-integer = A whole number is needed.
editor-not-number = A number is needed (e.g. 12 or 12.5).
editor-bad-choice = Not a valid choice.
editor-bad-padding = One number or two "vertical, horizontal", e.g. 40 or 40, 56.
editor-bad-form = The form is not valid.
editor-default = (default)
editor-yes = Yes
editor-no = No
editor-pick-media = — pick a library file —
editor-kind-image = Picture
editor-kind-text = Text
editor-kind-ticker = Ticker
editor-kind-clock = Clock
editor-kind-qr = QR code
editor-kind-video = Video
editor-f-name = Layout name
editor-f-board-name = Board name
editor-f-width = Width (px)
editor-f-height = Height (px)
editor-f-background = Background colour
editor-f-background_image = Background picture
editor-f-timezone = Time zone
editor-f-x = X (px)
editor-f-y = Y (px)
editor-f-w = Width (px)
editor-f-h = Height (px)
editor-f-zone-id = Zone id
editor-f-z = Layer (z)
editor-f-loop = Loop
editor-f-transition = Transition
editor-f-transition_ms = Transition time (ms)
editor-f-duration = Duration (seconds)
editor-f-valid_from = Valid from
editor-f-valid_to = Valid to
editor-f-src = File
editor-f-fit = Fit
editor-f-title = Title
editor-f-body = Body
editor-f-size = Text size (px)
editor-f-title_size = Title size (px)
editor-f-color = Text colour
editor-f-title_color = Title colour
editor-f-bold = Bold
editor-f-align = Alignment
editor-f-valign = Vertical alignment
editor-f-wrap = Wrap lines
editor-f-line_height = Line height
editor-f-padding = Padding (px)
editor-f-min_size = Smallest text size (px)
editor-f-text = Text
editor-f-speed = Speed (px/s)
editor-f-direction = Direction
editor-f-separator = Separator
editor-f-repeat = Times across (0 = endless)
editor-f-format = Format
editor-f-seconds = Show seconds
editor-f-data = QR content
editor-f-caption = Caption
editor-f-mute = Mute
editor-f-volume = Volume (0–1)
editor-f-start = Start at second
editor-opt-cut = Cut
editor-opt-crossfade = Crossfade
editor-opt-fit = Fit (keep ratio)
editor-opt-fill = Fill (crop)
editor-opt-stretch = Stretch
editor-opt-left = Left
editor-opt-center = Centre
editor-opt-right = Right
editor-opt-justify = Justify
editor-opt-top = Top
editor-opt-middle = Middle
editor-opt-bottom = Bottom
editor-opt-datetime = Date and time
editor-opt-date = Date
editor-opt-time = Time
editor-opt-long = Full date over the time
