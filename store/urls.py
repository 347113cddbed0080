from rest_framework_nested import routers

router = routers.DefaultRouter()

urlpatterns = router.urls
