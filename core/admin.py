from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .models import User


class CaseInsensitiveEmailMixin:
    """The e-mail is taken whatever its case (the model's Lower('email') constraint), reported on the field
    with Django's own message, once: a field that failed here is not checked again against the constraints."""

    def clean_email(self):
        email = self.cleaned_data['email']
        if User.objects.exclude(pk=self.instance.pk).filter(email__iexact=email).exists():
            raise forms.ValidationError(self.instance.unique_error_message(User, ['email']))
        return email


class UserCreationForm(CaseInsensitiveEmailMixin, AdminUserCreationForm):
    pass


class UserEditForm(CaseInsensitiveEmailMixin, UserChangeForm):
    pass


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    add_fieldsets = (
        (None, {
            'classes': ('wide',),
            'fields': ('username', 'password1', 'password2', 'email', 'first_name', 'last_name'),
        }),
    )
