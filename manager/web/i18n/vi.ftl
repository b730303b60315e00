# Chuỗi giao diện web — tiếng Việt (ngôn ngữ mặc định).
# Mỗi khóa phải có trong en.ftl (kiểm tra bởi i18n::tests).

app-name = Bangtin
app-tagline = Quản lý bảng tin điện tử công cộng
lang-switch = English
lang-switch-label = Chuyển sang tiếng Anh (Switch to English)

nav-main = Điều hướng chính
nav-boards = Bảng tin
nav-media = Thư viện
nav-layouts = Bố cục
nav-schedules = Lịch phát
nav-info = Thông tin thiết yếu
nav-speakers = Loa
nav-reports = Báo cáo
nav-admin = Quản trị
nav-skip = Chuyển đến nội dung chính

sign-in = Đăng nhập
sign-in-title = Đăng nhập quản lý bảng tin
sign-out = Đăng xuất
username = Tên đăng nhập
password = Mật khẩu
signed-in-as = Đang đăng nhập: { $name }

password-title = Đổi mật khẩu
password-must-change = Mật khẩu của bạn do quản trị viên đặt. Hãy chọn mật khẩu mới trước khi tiếp tục.
password-new = Mật khẩu mới (ít nhất 10 ký tự)
password-repeat = Nhập lại mật khẩu mới
password-mismatch = Hai mật khẩu không giống nhau.
password-changed = Đã đổi mật khẩu.
password-change = Đổi mật khẩu

save = Lưu
cancel = Hủy
apply = Áp dụng
search = Tìm
filter = Lọc
all = Tất cả
none = Không có
yes = Có
no = Không
back = Quay lại
delete = Xóa
confirm = Xác nhận
previous = Trang trước
next = Trang sau
page-of = Trang { $page } / { $pages }
saved = Đã lưu.
error-title = Có lỗi
not-found-title = Không tìm thấy trang
not-found-text = Trang này không có, hoặc bạn không có quyền xem.
forbidden-title = Không có quyền
error-field = Lỗi ở trường { $field }: { $message }
read-only = Bạn chỉ có quyền xem.

ago-now = vừa xong
ago-minutes = { $n } phút trước
ago-hours = { $n } giờ trước
ago-days = { $n } ngày trước
never = chưa bao giờ
for-minutes = { $n } phút
for-hours = { $n } giờ
for-days = { $n } ngày

weekday-0 = Chủ Nhật
weekday-1 = Thứ Hai
weekday-2 = Thứ Ba
weekday-3 = Thứ Tư
weekday-4 = Thứ Năm
weekday-5 = Thứ Sáu
weekday-6 = Thứ Bảy
