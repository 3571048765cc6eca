// The friendly names of DirectShow's video inputs, by display name.

#include <windows.h>
#include <dshow.h>
#include <stdlib.h>
#include <string.h>
#include <string>

extern "C" char *peercall_dshow_names(void);

// utf8 appends the UTF-16 string w to out, as UTF-8.
static void utf8(std::string &out, const wchar_t *w)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, nullptr, 0, nullptr, nullptr);
	if (n <= 1)
		return;
	std::string s(n, '\0');
	WideCharToMultiByte(CP_UTF8, 0, w, -1, &s[0], n, nullptr, nullptr);
	s.resize(n - 1);
	for (char &c : s)
		if (c == '\t' || c == '\n')
			c = ' ';
	out += s;
}

// peercall_dshow_names writes a line "display name\tfriendly name" for each
// video input, in memory the caller frees with free(); NULL when DirectShow
// cannot list them.
char *peercall_dshow_names(void)
{
	HRESULT init = CoInitializeEx(nullptr, COINIT_MULTITHREADED);
	std::string out;
	bool listed = false;
	ICreateDevEnum *devices = nullptr;
	if (SUCCEEDED(CoCreateInstance(CLSID_SystemDeviceEnum, nullptr, CLSCTX_INPROC_SERVER,
				       IID_ICreateDevEnum, (void **)&devices))) {
		IEnumMoniker *monikers = nullptr;
		HRESULT hr = devices->CreateClassEnumerator(CLSID_VideoInputDeviceCategory, &monikers, 0);
		listed = SUCCEEDED(hr);
		if (hr == S_OK) {
			IMoniker *m = nullptr;
			while (monikers->Next(1, &m, nullptr) == S_OK) {
				LPOLESTR display = nullptr;
				IPropertyBag *bag = nullptr;
				if (SUCCEEDED(m->GetDisplayName(nullptr, nullptr, &display)) &&
				    SUCCEEDED(m->BindToStorage(nullptr, nullptr, IID_IPropertyBag, (void **)&bag))) {
					VARIANT v;
					VariantInit(&v);
					if (SUCCEEDED(bag->Read(L"FriendlyName", &v, nullptr)) && v.vt == VT_BSTR) {
						utf8(out, display);
						out += '\t';
						utf8(out, v.bstrVal);
						out += '\n';
					}
					VariantClear(&v);
				}
				if (bag)
					bag->Release();
				if (display)
					CoTaskMemFree(display);
				m->Release();
			}
			monikers->Release();
		}
		devices->Release();
	}
	if (SUCCEEDED(init))
		CoUninitialize();
	if (!listed)
		return nullptr;
	return strdup(out.c_str());
}
